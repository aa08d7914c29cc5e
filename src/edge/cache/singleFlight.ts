/**
 * Coalesces concurrent calls with the same key into one. Scope is the isolate: a Durable Object per cache
 * key would also coalesce across isolates, but would add a hop and a second copy of the image to every
 * miss; duplicates across isolates cost at most one extra worker call each, and the cache absorbs the rest.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>()

  /** Runs `work` unless a call with this key is already running; `shared` says whether we joined one. */
  async run(key: string, work: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const running = this.#inFlight.get(key)
    if (running) return { value: await running, shared: true }
    const flight = work().finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, flight)
    return { value: await flight, shared: false }
  }
}
