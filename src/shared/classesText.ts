/**
 * How `classes` reads as text, in the API's query strings and form fields and in the command-line tool: no
 * zod here, so that the client bundles it without the schemas.
 */

/** A digit string is the number it spells (an id, `topK`); any other text stays text. */
export const digits = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value)

/**
 * One `classes` text value. Starting with `[`, it is a JSON array of ids (numbers) and labels (strings, taken
 * exactly), the one way to name a label that holds a comma; otherwise ids and labels separated by commas,
 * each trimmed. JSON that does not parse comes back as the text itself, which the schema refuses.
 */
export function classesFromText(value: string): unknown[] | string {
  if (!value.trimStart().startsWith('[')) return value.split(',').map((v) => digits(v.trim()))
  try {
    // Text that starts with `[` and parses is an array.
    return JSON.parse(value) as unknown[]
  } catch {
    return value
  }
}
