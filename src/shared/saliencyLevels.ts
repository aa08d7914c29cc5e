/**
 * Saliency in [0, 1] (min-max scaled by the model) -> 0..255, the 8-bit levels of an explanation's `map` PNG:
 * the worker encodes them, the demo page draws them and makes them on the device alike.
 */
export function saliencyLevels(values: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))
}
