// Letting the event loop turn between pieces of long work, in any realm (Node, a browser tab, a worker, an edge function).

/** A macrotask turn: MessageChannel where it exists (no 4 ms clamp in browsers), else setTimeout (a realm with neither has no event loop to yield to). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    } else if (typeof setTimeout === 'function') {
      setTimeout(resolve, 0);
    } else {
      resolve();
    }
  });
}
