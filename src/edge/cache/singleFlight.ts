/**
 * Coalesces concurrent calls with the same key into one. Scope is the isolate: a Durable Object per cache
 * key would also coalesce across isolates, but would add a hop and a second copy of the image to every
 * miss; duplicates across isolates cost at most one extra worker call each, and the cache absorbs the rest.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>()

  /** Runs `work` unless a call with this key is already running, whose outcome it then shares. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key)
    if (running) return running
    const flight = work().finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, flight)
    return flight
  }
}
