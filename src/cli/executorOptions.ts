// Parsers of the flags that reach segkit workers (score --executor/--store, worker --redis/--store/--queue): the
// library's own checks, their errors naming the flag instead of the library option.
import { checkQueueName, checkRedisUrl } from '../engine/jobProtocol.node.js';
import { openStore } from '../engine/shardStore.node.js';
import { SegkitError, baseMessage } from '../util/errors.js';
import { UsageError } from './exitCodes.js';

/** `check`, a refusal restated naming `flag` (a usage error; its hint, about the library's options, dropped). */
function asFlag<T>(flag: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SegkitError && error.code === 'E_BAD_OPTION') throw new UsageError(baseMessage(error).replace(/^option "[^"]*"/, flag));
    throw error;
  }
}

/** A Redis URL; a refused one is shown without its password. */
export const redisUrl = (flag: string) => (value: string): string => asFlag(flag, () => checkRedisUrl(value));

/** A file:/// URL of the shard store (nothing is created until a shard is written). */
export const storeUrl = (flag: string) => (value: string): string => asFlag(flag, () => (openStore(value), value));

export const queueName = (flag: string) => (value: string): string => asFlag(flag, () => checkQueueName(value));
