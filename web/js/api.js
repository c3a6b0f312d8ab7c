// api.js: the node's HTTP API (docs/openapi.yaml), from the page's own origin. Every
// failure becomes an ApiError with the node's code and sentence (or a sentence about
// the network), so a view always has something to tell the member.

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status, 'BAD_ANSWER', `the node answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const error = body?.error ?? body?.results?.[0]?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'HTTP_' + response.status, error.message ?? `the node answered ${response.status}`, error);
  }
  return body;
}

async function call(path, options) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: { Accept: 'application/json', ...(options?.headers ?? {}) } });
  } catch (e) {
    throw new ApiError(0, 'UNREACHABLE', `cannot reach the node (${e.message})`);
  }
  return parse(response);
}

/** GET path (under /v1), with query parameters left out when null. */
export function get(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return call(`/v1${path}${text ? '?' + text : ''}`);
}

/**
 * Submits one signed transaction (hex) and waits for its block. Resolves with its
 * status ({status: 'committed', result, ...}); a refusal, at admission or in its
 * block, rejects with an ApiError carrying the node's code.
 */
export async function submit(hex) {
  const body = await call('/v1/transactions?wait=commit', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tx: hex }),
  });
  const result = body.results?.[0];
  if (!result) throw new ApiError(200, 'BAD_ANSWER', 'the node answered without a result');
  if (result.error) throw new ApiError(200, result.error.code, result.error.message, result.error);
  if (result.status !== 'committed')
    throw new ApiError(200, 'NOT_COMMITTED', `the transaction is ${result.status}, not committed yet: look at its id later`, result);
  return result;
}
