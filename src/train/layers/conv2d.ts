import type { LayerSpec } from '../spec.js';
import { ensure, heUniform, type Layer, type ParamInfo } from './layer.js';
import type { WeightQuantizer } from './weight-quantizer.js';

type ConvSpec = Extract<LayerSpec, { type: 'conv2d' }> & { name: string };

/**
 * 2-D convolution (square kernel, stride, zero padding), with bias, as an implicit GEMM: the input
 * is copied once into a zero-padded buffer, and patch element k of output position p is read at
 * offset[p] + rel[k] of it, so no im2col matrix is ever written. Forward: four output channels by
 * four positions per block, sixteen sums in registers. Backward visits only non-zero output
 * gradients (after ReLU and max-pooling four in five are zero), four at a time.
 */
export class Conv2d implements Layer {
  readonly name: string;
  readonly outShape: number[];
  readonly params: ParamInfo[];
  readonly stateSize = 0;
  readonly statsSize = 0;
  private readonly c: number;
  private readonly h: number;
  private readonly w: number;
  private readonly k: number;
  private readonly oc: number;
  private readonly positions: number;
  /** C·k·k: the length of one patch. */
  private readonly patch: number;
  private readonly pad: number;
  private readonly hp: number;
  private readonly wp: number;
  /** Size of one padded image. */
  private readonly padded: number;
  /** Offset of each output position's patch in a padded image, and of each patch element from it. */
  private readonly offset: Int32Array;
  private readonly rel: Int32Array;
  private weight!: Float32Array;
  private bias!: Float32Array;
  private dWeight!: Float32Array;
  private dBias!: Float32Array;
  private xp: Float32Array | undefined;
  private out: Float32Array | undefined;
  private dxp: Float32Array | undefined;
  private dx: Float32Array | undefined;
  private readonly nzIndex: Int32Array;
  private readonly nzValue: Float32Array;
  /** QAT: the int8 weights and int32 bias the exported model will hold, dequantized. */
  quantizer: WeightQuantizer | undefined;
  /** Weights the last forward pass used (the fake-quantized ones under QAT). */
  private usedWeight!: Float32Array;

  constructor(
    readonly spec: ConvSpec,
    readonly inShape: readonly number[],
    outShape: number[],
  ) {
    this.name = spec.name;
    [this.c, this.h, this.w] = inShape as [number, number, number];
    this.k = spec.kernel;
    const stride = spec.stride ?? 1;
    this.pad = spec.pad ?? 0;
    const [oc, oh, ow] = outShape as [number, number, number];
    this.oc = oc;
    this.outShape = outShape;
    this.positions = oh * ow;
    this.patch = this.c * this.k * this.k;
    this.hp = this.h + 2 * this.pad;
    this.wp = this.w + 2 * this.pad;
    this.padded = this.c * this.hp * this.wp;
    this.offset = new Int32Array(this.positions);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) this.offset[oy * ow + ox] = oy * stride * this.wp + ox * stride;
    this.rel = new Int32Array(this.patch);
    let i = 0;
    for (let ch = 0; ch < this.c; ch++) for (let ky = 0; ky < this.k; ky++) for (let kx = 0; kx < this.k; kx++) this.rel[i++] = (ch * this.hp + ky) * this.wp + kx;
    this.nzIndex = new Int32Array(Math.max(this.positions, oc));
    this.nzValue = new Float32Array(Math.max(this.positions, oc));
    this.params = [
      { name: 'weight', dims: [oc, this.c, this.k, this.k] },
      { name: 'bias', dims: [oc] },
    ];
  }

  bind(params: Float32Array[], grads: Float32Array[]): void {
    [this.weight, this.bias] = params as [Float32Array, Float32Array];
    [this.dWeight, this.dBias] = grads as [Float32Array, Float32Array];
  }

  init(rand: () => number): void {
    heUniform(this.weight, this.patch, rand);
    this.bias.fill(0);
  }

  forward(x: Float32Array, n: number): Float32Array {
    const P = this.positions;
    const xp = (this.xp = ensure(this.xp, n * this.padded));
    const out = (this.out = ensure(this.out, n * this.oc * P));
    const q = this.quantizer?.active() ? this.quantizer.apply(this.weight, this.bias) : undefined;
    const weight = q ? q.weight : this.weight;
    const bias = q ? q.bias : this.bias;
    this.usedWeight = weight;
    for (let i = 0; i < n; i++) {
      this.padInto(x, i * this.c * this.h * this.w, xp, i * this.padded);
      implicitGemm(weight, bias, this.oc, xp, i * this.padded, this.offset, this.rel, out, i * this.oc * P);
    }
    return out;
  }

  backward(dy: Float32Array, n: number, needInputGrad: boolean): Float32Array | undefined {
    const P = this.positions;
    const K = this.patch;
    const OC = this.oc;
    const xp = this.xp!;
    const { offset, rel, nzIndex, nzValue, dWeight, dBias } = this;
    const weight = this.usedWeight;
    const dxp = needInputGrad ? (this.dxp = ensure(this.dxp, this.padded)) : undefined;
    const dx = needInputGrad ? (this.dx = ensure(this.dx, n * this.c * this.h * this.w)) : undefined;
    for (let i = 0; i < n; i++) {
      const xBase = i * this.padded;
      const dyBase = i * OC * P;
      // dW[o, k] += Σ_p dy[o, p] · patch_p[k] over the non-zero dy[o, ·], four at a time.
      for (let o = 0; o < OC; o++) {
        let count = 0;
        let sum = 0;
        for (let p = 0; p < P; p++) {
          const g = dy[dyBase + o * P + p]!;
          if (g === 0) continue;
          nzIndex[count] = xBase + offset[p]!;
          nzValue[count++] = g;
          sum += g;
        }
        dBias[o] += sum;
        const w0 = o * K;
        let t = 0;
        for (; t + 3 < count; t += 4) {
          const b0 = nzIndex[t]!, b1 = nzIndex[t + 1]!, b2 = nzIndex[t + 2]!, b3 = nzIndex[t + 3]!;
          const g0 = nzValue[t]!, g1 = nzValue[t + 1]!, g2 = nzValue[t + 2]!, g3 = nzValue[t + 3]!;
          for (let k = 0; k < K; k++) {
            const r = rel[k]!;
            dWeight[w0 + k] += g0 * xp[b0 + r]! + g1 * xp[b1 + r]! + g2 * xp[b2 + r]! + g3 * xp[b3 + r]!;
          }
        }
        for (; t < count; t++) {
          const b = nzIndex[t]!;
          const g = nzValue[t]!;
          for (let k = 0; k < K; k++) dWeight[w0 + k] += g * xp[b + rel[k]!]!;
        }
      }
      if (!dxp) continue;
      // dx_padded[offset[p] + rel[k]] += Σ_o dy[o, p] · W[o, k] over the non-zero dy[·, p], four at a time.
      dxp.fill(0, 0, this.padded);
      for (let p = 0; p < P; p++) {
        let count = 0;
        for (let o = 0; o < OC; o++) {
          const g = dy[dyBase + o * P + p]!;
          if (g === 0) continue;
          nzIndex[count] = o * K;
          nzValue[count++] = g;
        }
        const b = offset[p]!;
        let t = 0;
        for (; t + 3 < count; t += 4) {
          const a0 = nzIndex[t]!, a1 = nzIndex[t + 1]!, a2 = nzIndex[t + 2]!, a3 = nzIndex[t + 3]!;
          const g0 = nzValue[t]!, g1 = nzValue[t + 1]!, g2 = nzValue[t + 2]!, g3 = nzValue[t + 3]!;
          for (let k = 0; k < K; k++) dxp[b + rel[k]!] += g0 * weight[a0 + k]! + g1 * weight[a1 + k]! + g2 * weight[a2 + k]! + g3 * weight[a3 + k]!;
        }
        for (; t < count; t++) {
          const a = nzIndex[t]!;
          const g = nzValue[t]!;
          for (let k = 0; k < K; k++) dxp[b + rel[k]!] += g * weight[a + k]!;
        }
      }
      this.unpad(dxp, dx!, i * this.c * this.h * this.w);
    }
    return dx;
  }

  /** The image at `xBase` into the padded buffer at `pBase`, zero border. */
  private padInto(x: Float32Array, xBase: number, xp: Float32Array, pBase: number): void {
    const { c: C, h: H, w: W, hp: HP, wp: WP, pad } = this;
    if (pad === 0) {
      xp.set(x.subarray(xBase, xBase + C * H * W), pBase);
      return;
    }
    xp.fill(0, pBase, pBase + this.padded);
    for (let ch = 0; ch < C; ch++) {
      for (let y = 0; y < H; y++) {
        const from = xBase + (ch * H + y) * W;
        xp.set(x.subarray(from, from + W), pBase + (ch * HP + y + pad) * WP + pad);
      }
    }
  }

  /** The inside of a padded gradient into dx at `xBase` (the border's gradient belongs to no input). */
  private unpad(dxp: Float32Array, dx: Float32Array, xBase: number): void {
    const { c: C, h: H, w: W, hp: HP, wp: WP, pad } = this;
    for (let ch = 0; ch < C; ch++) {
      for (let y = 0; y < H; y++) {
        const from = (ch * HP + y + pad) * WP + pad;
        dx.set(dxp.subarray(from, from + W), xBase + (ch * H + y) * W);
      }
    }
  }
}

/**
 * out[o, p] = bias[o] + Σ_k W[o, k] · xp[xBase + offset[p] + rel[k]] for one image: a GEMM whose
 * right-hand matrix (the patches) is read in place. Blocks of four channels by four positions keep
 * sixteen sums in registers; leftover channels and positions go one at a time.
 */
function implicitGemm(W: Float32Array, bias: Float32Array, OC: number, xp: Float32Array, xBase: number, offset: Int32Array, rel: Int32Array, out: Float32Array, outBase: number): void {
  const P = offset.length;
  const K = rel.length;
  const oc4 = OC - (OC % 4);
  const p4 = P - (P % 4);
  for (let p = 0; p < p4; p += 4) {
    const x0 = xBase + offset[p]!;
    const x1 = xBase + offset[p + 1]!;
    const x2 = xBase + offset[p + 2]!;
    const x3 = xBase + offset[p + 3]!;
    for (let o = 0; o < oc4; o += 4) {
      const a0 = o * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const r = rel[k]!;
        const v0 = xp[x0 + r]!;
        const v1 = xp[x1 + r]!;
        const v2 = xp[x2 + r]!;
        const v3 = xp[x3 + r]!;
        let w = W[a0 + k]!;
        s00 += w * v0; s01 += w * v1; s02 += w * v2; s03 += w * v3;
        w = W[a1 + k]!;
        s10 += w * v0; s11 += w * v1; s12 += w * v2; s13 += w * v3;
        w = W[a2 + k]!;
        s20 += w * v0; s21 += w * v1; s22 += w * v2; s23 += w * v3;
        w = W[a3 + k]!;
        s30 += w * v0; s31 += w * v1; s32 += w * v2; s33 += w * v3;
      }
      let q = outBase + o * P + p;
      let b = bias[o]!;
      out[q] = b + s00; out[q + 1] = b + s01; out[q + 2] = b + s02; out[q + 3] = b + s03;
      q += P;
      b = bias[o + 1]!;
      out[q] = b + s10; out[q + 1] = b + s11; out[q + 2] = b + s12; out[q + 3] = b + s13;
      q += P;
      b = bias[o + 2]!;
      out[q] = b + s20; out[q + 1] = b + s21; out[q + 2] = b + s22; out[q + 3] = b + s23;
      q += P;
      b = bias[o + 3]!;
      out[q] = b + s30; out[q + 1] = b + s31; out[q + 2] = b + s32; out[q + 3] = b + s33;
    }
    for (let o = oc4; o < OC; o++) {
      const a0 = o * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const r = rel[k]!;
        const w = W[a0 + k]!;
        s0 += w * xp[x0 + r]!;
        s1 += w * xp[x1 + r]!;
        s2 += w * xp[x2 + r]!;
        s3 += w * xp[x3 + r]!;
      }
      const q = outBase + o * P + p;
      const b = bias[o]!;
      out[q] = b + s0; out[q + 1] = b + s1; out[q + 2] = b + s2; out[q + 3] = b + s3;
    }
  }
  for (let p = p4; p < P; p++) {
    const x0 = xBase + offset[p]!;
    for (let o = 0; o < OC; o++) {
      const a0 = o * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += W[a0 + k]! * xp[x0 + rel[k]!]!;
      out[outBase + o * P + p] = bias[o]! + s;
    }
  }
}
