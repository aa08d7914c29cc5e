import type { Model } from '../shared/contract'
import { Api, isKeyRefused } from './api'
import { apiKey, askForKey, forgetKey } from './apiKey'
import { byId, h } from './dom'
import type { ClassMap, Explainer, PageExplanation } from './explanation'
import { loadGallery, renderGallery } from './gallery'
import { colorBarGradient } from './heatmap'
import { loadPhoto, type Photo } from './photo'
import { renderClassPicker, renderMaps, renderPredictions } from './views'

/** Predictions shown, and maps computed in the same pass (the API's maximum is 10). */
const TOP_K = 5

const ui = {
  keyForm: byId<HTMLFormElement>('key-form'),
  imageInput: byId<HTMLInputElement>('image-input'),
  drop: byId<HTMLElement>('drop'),
  gallery: byId<HTMLElement>('gallery'),
  model: byId<HTMLSelectElement>('model'),
  onDevice: byId<HTMLInputElement>('on-device'),
  status: byId<HTMLElement>('status'),
  error: byId<HTMLElement>('error'),
  maps: byId<HTMLElement>('maps'),
  predictions: byId<HTMLElement>('predictions'),
  search: byId<HTMLInputElement>('class-search'),
  classes: byId<HTMLElement>('classes'),
  opacity: byId<HTMLInputElement>('opacity'),
  colorBar: byId<HTMLElement>('color-bar'),
}

/** What is on screen: the photo's explanation, every map computed for it, and those shown, first one first. */
interface Shown {
  photo: Photo
  explanation: PageExplanation
  maps: Map<number, ClassMap>
  shown: number[]
}

let api: Api
let models: Model[] = []
let model: Model | undefined
let photo: Photo | undefined
let shown: Shown | undefined
/** The model on the device, loaded on first use per model. */
let device: Promise<import('./onDevice').DeviceModel> | undefined
/** Bumped by every new photo, model or mode: answers to an older one are dropped. */
let generation = 0

async function explainer(): Promise<Explainer> {
  if (!ui.onDevice.checked || !model) return api
  const wanted = model
  if (!device) {
    ui.status.textContent = `Loading ${wanted.id} (${(wanted.onnx.bytes / 1e6).toFixed(1)} MB) into this browser…`
    device = Promise.all([import('./onDevice'), api.graph(wanted)]).then(([{ DeviceModel }, graph]) =>
      DeviceModel.load(wanted, graph),
    )
    device.catch(() => {
      device = undefined
    })
  }
  return device
}

/** An error takes the status line's place; none gives it back. */
function showError(message: string) {
  ui.error.textContent = message
  ui.status.hidden = Boolean(message)
}

/** Runs one step of work, showing what goes wrong; a refused key is forgotten and asked for again. */
async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  showError('')
  document.body.setAttribute('aria-busy', 'true')
  try {
    return await work()
  } catch (error) {
    if (isKeyRefused(error)) {
      forgetKey()
      api = new Api(await askForKey(ui.keyForm, 'The API refused that key.'))
    }
    showError(error instanceof Error ? error.message : String(error))
    return undefined
  } finally {
    document.body.removeAttribute('aria-busy')
  }
}

async function explainPhoto() {
  const [current, chosen, turn] = [photo, model, ++generation]
  if (!current || !chosen) return
  const explanation = await attempt(async () =>
    (await explainer()).explain(current, chosen, { topK: Math.min(TOP_K, chosen.numClasses) }),
  )
  if (!explanation || turn !== generation) return
  const first = explanation.maps[0]
  shown = {
    photo: current,
    explanation,
    maps: new Map(explanation.maps.map((map) => [map.classId, map])),
    shown: first ? [first.classId] : [],
  }
  ui.status.textContent = explanation.timing
  render()
}

/** Adds a class's map beside the first: from the answer already there, else in one more call. */
async function pick(classId: number) {
  const [current, chosen, turn] = [shown, model, generation]
  if (!current || !chosen || current.shown.includes(classId)) return
  if (!current.maps.has(classId)) {
    const ask = { topK: Math.min(TOP_K, chosen.numClasses), classes: [classId] }
    const extra = await attempt(async () => (await explainer()).explain(current.photo, chosen, ask))
    const map = extra?.maps[0]
    if (!extra || !map || turn !== generation) return
    current.maps.set(classId, map)
    ui.status.textContent = extra.timing
  }
  current.shown.push(classId)
  render()
}

function unpick(classId: number) {
  if (!shown) return
  shown.shown = shown.shown.filter((id) => id !== classId)
  render()
}

function render() {
  if (!shown || !model) return
  const ids = new Set(shown.shown)
  renderPredictions(ui.predictions, shown.explanation.predictions, ids, pick)
  renderClassPicker(ui.classes, model.labels, ui.search.value, ids, pick)
  const maps = shown.shown.flatMap((id) => shown?.maps.get(id) ?? [])
  renderMaps(ui.maps, maps, shown.explanation.crop, shown.photo.bitmap, unpick)
}

async function choose(blob: Blob, name: string) {
  const loaded = await attempt(() => loadPhoto(blob, name))
  if (!loaded) return
  photo = loaded
  await explainPhoto()
}

function chooseModel(ref: string) {
  model = models.find((m) => `${m.id}@${m.version}` === ref)
  device = undefined
  void explainPhoto()
}

function wireInputs() {
  ui.imageInput.addEventListener('change', () => {
    const file = ui.imageInput.files?.[0]
    if (file) void choose(file, file.name)
  })
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    ui.drop.classList.add('over')
  })
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'))
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault()
    ui.drop.classList.remove('over')
    const file = event.dataTransfer?.files[0]
    if (file) void choose(file, file.name)
  })
  window.addEventListener('paste', (event) => {
    const file = event.clipboardData?.files[0]
    if (file) void choose(file, file.name || 'pasted image')
  })
  ui.model.addEventListener('change', () => chooseModel(ui.model.value))
  ui.onDevice.addEventListener('change', () => void explainPhoto())
  ui.search.addEventListener('input', render)
  ui.opacity.addEventListener('input', () =>
    ui.maps.style.setProperty('--heat-opacity', String(Number(ui.opacity.value) / 100)),
  )
}

async function start() {
  ui.colorBar.style.background = colorBarGradient()
  wireInputs()
  // The gallery needs no key: it loads while the key and the models do.
  const gallery = loadGallery()
  api = new Api(await apiKey(ui.keyForm))
  for (;;) {
    try {
      models = await api.models()
      break
    } catch (error) {
      if (!isKeyRefused(error)) throw error
      forgetKey()
      api = new Api(await askForKey(ui.keyForm, 'The API refused that key.'))
    }
  }
  ui.model.replaceChildren(
    ...models.map((m) =>
      h(
        'option',
        { value: `${m.id}@${m.version}`, selected: m.default },
        `${m.id} ${m.version} · ${m.numClasses} classes`,
      ),
    ),
  )
  model = models.find((m) => m.default) ?? models[0]
  const entries = await gallery
  renderGallery(ui.gallery, entries, choose)
  if (entries.length > 0) (ui.gallery.querySelector('button') as HTMLButtonElement).click()
  else ui.status.textContent = 'Drop, paste or choose a photo.'
}

start().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
