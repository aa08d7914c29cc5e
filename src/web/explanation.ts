import type { Model } from '../shared/contract'
import type { Crop } from '../shared/inputGeometry'
import type { Prediction } from '../shared/predictions'
import type { Photo } from './photo'

/** One class's map as 8-bit levels over the model's input crop (the `map` PNG of an answer, decoded). */
export interface ClassMap {
  classId: number
  label: string
  levels: Uint8Array
  width: number
  height: number
}

/** An explanation of a photo, from the API or from the model run on the device, as the page shows it. */
export interface PageExplanation {
  crop: Crop
  predictions: Prediction[]
  maps: ClassMap[]
  /** How it was computed and how long it took, for the status line. */
  timing: string
}

/** What to explain: the top-k classes, or the classes named (counterfactuals), as the API's options. */
export interface Ask {
  topK: number
  classes?: number[]
}

/** The API or the device: either explains a photo with a model. */
export interface Explainer {
  explain(photo: Photo, model: Model, ask: Ask): Promise<PageExplanation>
}
