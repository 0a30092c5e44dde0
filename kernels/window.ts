/** A sliding window over planes: output size, window size and stride (rows, columns). */
export interface Window2d {
  ho: number;
  wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
}

/** A window whose taps are spread by a dilation (rows, columns). */
export interface DilatedWindow2d extends Window2d {
  dh: number;
  dw: number;
}
