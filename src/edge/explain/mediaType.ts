/** A Content-Type as RFC 9110 §8.3.1 writes it: `type/subtype`, then `; name=value` parameters. */
export interface MediaType {
  /** `type/subtype`, lower-case (both are case-insensitive). */
  essence: string
  /** Parameter names lower-case, values as sent (a quoted string unquoted); the first of a repeated name wins. */
  parameters: Map<string, string>
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
// qdtext and quoted-pair: any visible or obs-text octet, space and tab; `"` and `\` only escaped.
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"'
const ESSENCE = new RegExp(`^[\\t ]*(${TOKEN})/(${TOKEN})`)
// parameters = *( OWS ";" OWS [ parameter ] ): empty parameters (`a/b;`, `a/b; ;c=d`) are allowed.
const PARAMETER = new RegExp(`[\\t ]*;[\\t ]*(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`, 'y')
const TRAILING_WHITESPACE = /[\t ]*$/y

/** A Content-Type header read per RFC 9110, or undefined where it is not one. */
export function parseMediaType(header: string): MediaType | undefined {
  const head = ESSENCE.exec(header)
  if (!head) return undefined
  const parameters = new Map<string, string>()
  let at = head[0].length
  // Sticky matches from `at`: linear in the header's length, however many parameters it has.
  for (;;) {
    TRAILING_WHITESPACE.lastIndex = at
    if (TRAILING_WHITESPACE.test(header)) break
    PARAMETER.lastIndex = at
    const match = PARAMETER.exec(header)
    if (!match) return undefined
    at = PARAMETER.lastIndex
    const [, name, value] = match
    if (name === undefined || value === undefined) continue
    const key = name.toLowerCase()
    const text = value.startsWith('"') ? value.slice(1, -1).replace(/\\([\s\S])/g, '$1') : value
    if (!parameters.has(key)) parameters.set(key, text)
  }
  return { essence: `${head[1]}/${head[2]}`.toLowerCase(), parameters }
}

/** A Content-Type's media type, lower-case, without parameters; '' when there is none or it does not parse. */
export const mediaTypeOf = (contentType: string | undefined): string =>
  parseMediaType(contentType ?? '')?.essence ?? ''
