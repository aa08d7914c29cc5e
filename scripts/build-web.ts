/**
 * The static assets the edge serves (wrangler.toml `[assets]`, dist/web): the demo page (src/web, bundled by
 * esbuild), `@scalar/api-reference`'s standalone bundle for /docs, onnxruntime-web's WebAssembly, and the
 * gallery. `npm start`, the edge's tests and `npm run build:web` run it; it takes about a second.
 *
 * dist/web is updated in place: only files whose bytes changed are written and only stale ones removed, because
 * a running `wrangler dev` (another stack, a test's) serves from it and stops if the folder disappears.
 *
 * The gallery is copied from the shared data at build time (SHARED_DIR, default ../shared): a few CIFAR-10 test
 * images the default model classifies right and a few sample photographs. Nothing of it is committed; a build
 * without the shared data has no gallery, and the page still takes dropped, pasted and chosen photos.
 */
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { build } from 'esbuild'
import { STATIC_ASSETS } from '../src/shared/staticAssets'
import { GALLERY_INDEX, type GalleryEntry } from '../src/web/galleryIndex'

const ROOT = resolve(import.meta.dirname, '..')
export const WEB_DIST = join(ROOT, 'dist/web')
const require = createRequire(join(ROOT, 'package.json'))

/**
 * CIFAR-10 test images that cifar10-cnn 1.3.0 answers right (score >= 0.9) with a map on the object, one per
 * class shown; the first is explained when the page opens.
 */
const CIFAR_IMAGES = [
  'test/dog/0024.jpg',
  'test/bird/0002.jpg',
  'test/automobile/0333.jpg',
  'test/horse/0039.jpg',
  'test/frog/0076.jpg',
  'test/ship/0377.jpg',
  'test/airplane/0037.jpg',
]
/** Sample photographs; the tiger cat the default model calls a bird, for "why bird and not cat?". */
const PHOTOS = [
  'n02123159_tiger_cat.JPEG',
  'n02099712_Labrador_retriever.JPEG',
  'n02690373_airliner.JPEG',
  'n03095699_container_ship.JPEG',
  'n01641577_bullfrog.JPEG',
]

/** onnxruntime-web's loaders and WebAssembly: plain (WASM backend) and JSPI (WebGPU); each under 25 MiB. */
const ONNX_RUNTIME_FILES = [
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.jspi.mjs',
  'ort-wasm-simd-threaded.jspi.wasm',
]

/**
 * Workers static assets headers: the page cross-origin isolated, which onnxruntime-web's threads need; their
 * worker scripts (the runtime's loader) must carry the same policy or the browser blocks them.
 */
const HEADERS = `/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
`

/** The site's files by URL path ('/app.js'), their bytes. */
type Site = Map<string, Uint8Array>

export async function buildWeb(sharedDir = resolve(ROOT, process.env.SHARED_DIR ?? '../shared')) {
  const site: Site = new Map()
  const bundle = await build({
    // Entry points stay ES modules of their own: the page loads onDevice.js when asked, tests import them.
    entryPoints: {
      app: 'src/web/main.ts',
      onDevice: 'src/web/onDevice.ts',
      api: 'src/web/api.ts',
      photo: 'src/web/photo.ts',
    },
    absWorkingDir: ROOT,
    outdir: WEB_DIST,
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    // onnxruntime-web's builds that fetch their WebAssembly from wasmPaths rather than embedding a loader.
    conditions: ['onnxruntime-web-use-extern-wasm'],
    logLevel: 'warning',
  })
  for (const file of bundle.outputFiles) site.set(`/${relative(WEB_DIST, file.path)}`, file.contents)
  for (const file of ['index.html', 'style.css'])
    site.set(`/${file}`, readFileSync(join(ROOT, 'src/web', file)))
  site.set('/_headers', Buffer.from(HEADERS))
  site.set(
    STATIC_ASSETS.scalarBundle,
    readFileSync(require.resolve('@scalar/api-reference/browser/standalone.js')),
  )
  const ort = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))
  for (const file of ONNX_RUNTIME_FILES)
    site.set(`${STATIC_ASSETS.onnxRuntime}${file}`, readFileSync(join(ort, file)))
  const gallery = addGallery(site, sharedDir)
  site.set(GALLERY_INDEX, Buffer.from(JSON.stringify(gallery, null, 2)))
  const written = writeSite(site)
  return { gallery: gallery.length, files: site.size, written }
}

/** A file being written: another build (a test's stack) running at the same time leaves it alone. */
const PARTIAL = '.partial-'

/**
 * The site into dist/web, in place: changed files replaced whole (written beside, then renamed over, so that a
 * server never reads half a file), files no longer built removed, the folder kept.
 */
function writeSite(site: Site): number {
  let written = 0
  for (const [url, bytes] of site) {
    const path = join(WEB_DIST, url)
    if (existsSync(path) && readFileSync(path).equals(bytes)) continue
    mkdirSync(dirname(path), { recursive: true })
    const partial = join(dirname(path), `${PARTIAL}${process.pid}-${basename(path)}`)
    writeFileSync(partial, bytes)
    renameSync(partial, path)
    written++
  }
  const built = new Set([...site.keys()].map((url) => join(WEB_DIST, url)))
  for (const entry of readdirSync(WEB_DIST, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isFile() && !built.has(path) && !entry.name.startsWith(PARTIAL)) rmSync(path, { force: true })
  }
  return written
}

/** The gallery images copied out of the shared archives (read in place), listed in the order shown. */
function addGallery(site: Site, sharedDir: string): GalleryEntry[] {
  const cifar = addMembers(site, join(sharedDir, 'datasets/cifar10/test.tar.gz'), CIFAR_IMAGES, (member) => {
    const label = basename(dirname(member))
    return { file: `cifar10-${label}-${basename(member)}`, caption: `CIFAR-10 test image: ${label}`, label }
  })
  const photos = addMembers(site, join(sharedDir, 'images/imagenet-samples.tar'), PHOTOS, (member) => {
    const subject = member
      .replace(/^n\d+_/, '')
      .replace(/\.\w+$/, '')
      .replaceAll('_', ' ')
    return { file: member, caption: `Photograph: ${subject}` }
  })
  return [...cifar, ...photos]
}

/** `members` of a tar archive (extracted by the system's tar) added to the gallery as `entry` names them. */
function addMembers(
  site: Site,
  archive: string,
  members: string[],
  entry: (member: string) => GalleryEntry,
): GalleryEntry[] {
  if (!existsSync(archive)) return []
  const dir = mkdtempSync(join(tmpdir(), 'gallery-'))
  try {
    execFileSync('tar', ['-xf', archive, '-C', dir, ...members])
    return members.map((member) => {
      const listed = entry(member)
      site.set(`${STATIC_ASSETS.gallery}${listed.file}`, readFileSync(join(dir, member)))
      return listed
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === import.meta.filename) {
  const { gallery, files, written } = await buildWeb()
  console.log(`${WEB_DIST}: ${files} files, ${written} written; gallery: ${gallery} images`)
}
