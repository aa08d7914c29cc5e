/** Bytes of request bodies one isolate holds right now, against a budget (the middleware bodyBudget). */
export class HeldBodies {
  #held = 0

  get held(): number {
    return this.#held
  }

  /**
   * Reserves `cost` bytes, or refuses (false) when they would take the total over `budget`; a lone body is
   * always admitted, whatever its size. The returned function gives the bytes back.
   */
  reserve(cost: number, budget: number): (() => void) | false {
    if (cost > 0 && this.#held > 0 && this.#held + cost > budget) return false
    this.#held += cost
    return () => {
      this.#held -= cost
    }
  }
}
