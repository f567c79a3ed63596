import http from 'node:http';

/**
 * One HTTP request from a benchmark's load generator: `send` writes the body (and ends the request);
 * resolves with the status and the parsed JSON answer. node:http, not fetch: on the shared 2 cores
 * fetch cost the client more CPU per large body than the API and Postgres together.
 */
export function requestJson<T>(opts: http.RequestOptions, send: (req: http.ClientRequest) => void): Promise<{ status: number; json: T }> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req);
  });
}
