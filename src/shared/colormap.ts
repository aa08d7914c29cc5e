/**
 * Turbo (Google, 2019), a perceptual rainbow colormap, as a 256-entry RGB lookup table built from its
 * published polynomial approximation.
 */
function turbo(x: number): [number, number, number] {
  const r =
    0.13572138 +
    x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))))
  const g =
    0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))))
  const b =
    0.1066733 +
    x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))))
  const to8 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255)
  return [to8(r), to8(g), to8(b)]
}

/** `TURBO[3 * v + c]` is channel c of the colour for gray level v. */
export const TURBO = new Uint8Array(256 * 3)
for (let v = 0; v < 256; v++) TURBO.set(turbo(v / 255), 3 * v)

/** Heat is drawn over the photo at most this opaque, where the map is hottest. */
export const MAX_HEAT_OPACITY = 0.7
/** Map values (0..1) up to this are not drawn at all: the photo stays visible where the model looked least. */
export const HEAT_FLOOR = 0.15

/** Saliency-weighted opacity of gray level `level` (0..255): 0 up to the floor, then linear up to the maximum. */
export function heatOpacity(level: number): number {
  return MAX_HEAT_OPACITY * Math.min(1, Math.max(0, (level / 255 - HEAT_FLOOR) / (1 - HEAT_FLOOR)))
}

/** `HEAT_ALPHA[v]` is heatOpacity(v) as an 8-bit alpha. */
export const HEAT_ALPHA = Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * heatOpacity(v)))
