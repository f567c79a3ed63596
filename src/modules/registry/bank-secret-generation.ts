/**
 * An in-process counter bumped after a bank secret is rotated and committed here, so this process's
 * webhook secret cache re-reads at once (other replicas pick the rotation up within the cache's
 * refresh interval; a bank retries a refused webhook anyway).
 */
let generation = 0;
export const bankSecretsGeneration = (): number => generation;
export function bankSecretsChanged(): void {
  generation++;
}
