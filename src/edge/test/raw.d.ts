/** Vite's `?raw` imports (vitest transforms them): a file's text, such as docs/api.md for apiDoc.test.ts. */
declare module '*?raw' {
  const text: string
  export default text
}
