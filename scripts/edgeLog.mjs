/**
 * The local edge's output as `npm start` prints it. wrangler dev prints workerd's internal-error reports at ERROR
 * level, and workerd files an outbound fetch that fails in the network as one: a host that does not resolve or a
 * TLS handshake that fails (a client's `imageUrl` or webhook URL) gives three `e = kj/…` reports with native
 * stacks and, for a request with a body (a webhook), an `Uncaught Error: internal error` of the same reference,
 * although the Worker caught that fetch's rejection and answered for it (a 4xx, a failed delivery in the job's
 * record). Each such failure becomes one warning line; every other line passes unchanged, real errors included.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what is removed
const ANSI = /\u001b\[[0-9;]*m/g
const NETWORK_FAILURE =
  /\[ERROR\] e = kj\/\S+: (?:failed|disconnected): (DNS lookup failed|OpenSSL error|[^;]*(?:connect|refused|reset)[^;]*)\.?;(?:.*params\.host = ([^;\s]+))?/
const REFERENCE = /wdErrId = (\w+)/
const UNCAUGHT_INTERNAL = /\[ERROR\] Uncaught Error: internal error; reference = (\w+)/
/** The same failure filed again within this long is the same fetch. */
const REPEAT_MS = 2000
const KEPT_REFERENCES = 1000

/** A filter for the edge's output: each call takes one line and returns the lines to print (none, or it). */
export function edgeLogFilter(now = Date.now) {
  const references = new Set()
  const lastWarned = new Map()
  let failure
  let dropBlank = false
  return (line) => {
    const plain = line.replace(ANSI, '')
    if (dropBlank && plain.trim() === '') return []
    dropBlank = false
    const filed = NETWORK_FAILURE.exec(plain)
    if (filed) {
      failure = { reason: filed[1], host: filed[2] }
      dropBlank = true
      return []
    }
    if (failure && plain.trimStart().startsWith('stack:')) {
      const reference = REFERENCE.exec(plain)?.[1]
      if (reference) references.add(reference)
      if (references.size > KEPT_REFERENCES) references.delete(references.values().next().value)
      const { reason, host } = failure
      failure = undefined
      dropBlank = true
      const key = `${reason} ${host}`
      if (now() - (lastWarned.get(key) ?? Number.NEGATIVE_INFINITY) < REPEAT_MS) return []
      if (lastWarned.size > KEPT_REFERENCES) lastWarned.clear()
      lastWarned.set(key, now())
      return [
        `warn: an outbound request${host ? ` to ${host}` : ''} failed (${reason}); the edge answered for it`,
      ]
    }
    const uncaught = UNCAUGHT_INTERNAL.exec(plain)
    if (uncaught && references.has(uncaught[1])) {
      dropBlank = true
      return []
    }
    return [line]
  }
}
