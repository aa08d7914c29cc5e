/** Where the page build (scripts/build-web.ts) puts what the edge serves as static assets besides the page. */
export const STATIC_ASSETS = {
  /** `@scalar/api-reference`'s standalone bundle, which `/docs` loads. */
  scalarBundle: '/vendor/scalar/standalone.js',
  /** onnxruntime-web's WebAssembly files, which the page loads when it explains on the device. */
  onnxRuntime: '/vendor/onnxruntime/',
  /** The gallery: its images and `index.json`. */
  gallery: '/gallery/',
} as const
