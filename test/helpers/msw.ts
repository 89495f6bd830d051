/** msw helpers shared by the unit tests. */
import { HttpResponse } from 'msw';

/**
 * A server that never answers by itself: resolves (to a network error nobody reads) once the client
 * gives up on the request, or once `until` settles when given, so no handler outlives its test.
 */
export function untilAborted(request: Request, until?: Promise<void>): Promise<Response> {
  return new Promise((resolve) => {
    request.signal.addEventListener('abort', () => resolve(HttpResponse.error()), { once: true });
    until?.then(() => resolve(HttpResponse.error()));
  });
}
