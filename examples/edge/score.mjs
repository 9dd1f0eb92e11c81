// An edge function that scores customers: POST a JSON array of customer records (the columns the model was fitted
// on), get back each customer's segment id and name. It runs in any runtime with fetch-style handlers (Cloudflare
// Workers, Vercel and Netlify edge functions, Deno Deploy): segkit's neutral entry generates no code at run time
// and needs no file system; the model travels inside the bundle.
//
//   npx segkit segment examples/customers.csv --k 5 --seed 7 --model examples/edge/model.json   # the model file
//   curl -X POST --data '[{"customer_id":"C1","age":41,"sessions":12, ...}]' https://<your function>/
import { SegmentModel } from 'segkit';
import saved from './model.json' with { type: 'json' };

const model = SegmentModel.fromJSON(saved);
/** Customers per request: a bound on the memory and time one request can take. */
const MAX_CUSTOMERS = 50_000;

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Scores the customers in the request's body; bad input gets a 4xx naming the problem, never a guess. */
export async function score(request) {
  if (request.method !== 'POST') return json(405, { error: { code: 'E_METHOD', message: 'POST a JSON array of customers' } });
  let customers;
  try {
    customers = await request.json();
  } catch {
    return json(400, { error: { code: 'E_PARSE', message: 'the body is not JSON' } });
  }
  if (!Array.isArray(customers)) return json(400, { error: { code: 'E_BAD_INPUT', message: 'the body must be a JSON array of customer records' } });
  if (customers.length > MAX_CUSTOMERS) return json(413, { error: { code: 'E_TOO_LARGE', message: `at most ${MAX_CUSTOMERS} customers per request, got ${customers.length}` } });
  try {
    // threads: 1, the inline executor: an edge function has one thread
    const labels = await model.predict(customers, { threads: 1 });
    const id = model.pipeline.id;
    return json(200, {
      segments: Array.from(labels, (segment, i) => ({
        ...(id !== null && customers[i] && id in customers[i] ? { [id]: customers[i][id] } : {}),
        segment,
        name: segment >= 0 ? model.names[segment] : null,
      })),
    });
  } catch (e) {
    // a SegkitError names the row and column at fault (E_MISSING_COLUMN, E_NON_NUMERIC, E_NAN_INPUT, ...)
    if (e && typeof e.code === 'string') return json(422, { error: { code: e.code, message: e.message } });
    throw e;
  }
}

export default { fetch: score };
