/**
 * A small deterministic image set: 8×8 grey-scale digits 0–9 (NCHW, one channel) drawn from 5×7 glyph
 * templates, each sample shifted by up to one pixel, its stroke intensity varied and Gaussian noise
 * added, all from one seed. Shipped as code, so it needs no download.
 */
import { Random, Tensor } from "../engine";
import type { Dataset } from "./dataset";

/** 5×7 glyphs, one string per row ("#" = ink). */
const GLYPHS: readonly string[][] = [
  [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
  ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
  [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
  ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
  ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
  ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
  ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
  ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
  [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
  [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
];

export interface DigitsOptions {
  /** Training images (default 1000). */
  n?: number;
  /** Test images (default 200). */
  nTest?: number;
  /** Std of the pixel noise (default 0.15). */
  noise?: number;
  seed?: number;
}

/** x [n, 1, 8, 8] in about [0, 1], y [n] labels 0–9; `validation` is the test set (a ModelSpec's data() can return it). */
export interface DigitsDataset {
  train: Dataset;
  test: Dataset;
  validation: Dataset;
}

function draw(n: number, noise: number, rng: Random): Dataset {
  const x = new Tensor(new Float64Array(n * 64), [n, 1, 8, 8]);
  const y = new Tensor(new Float64Array(n), [n]);
  for (let i = 0; i < n; i++) {
    const label = rng.int(10);
    y.data[i] = label;
    // The 5×7 glyph sits at (row 0..1, column 0..3) of the 8×8 canvas.
    const dy = rng.int(2), dx = rng.int(4);
    const ink = 0.7 + 0.3 * rng.uniform();
    const g = GLYPHS[label];
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        const gr = r - dy, gc = c - dx;
        const on = gr >= 0 && gr < 7 && gc >= 0 && gc < 5 && g[gr][gc] === "#";
        x.data[i * 64 + r * 8 + c] = (on ? ink : 0) + noise * rng.normal();
      }
    }
  }
  return { x, y, classes: 10 };
}

/** The digits set with its train/test split; the same seed gives the same images. */
export function digits(options: DigitsOptions = {}): DigitsDataset {
  const rng = new Random(options.seed ?? 0);
  const noise = options.noise ?? 0.15;
  const train = draw(options.n ?? 1000, noise, rng);
  const test = draw(options.nTest ?? 200, noise, rng);
  return { train, test, validation: test };
}
