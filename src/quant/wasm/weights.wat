;; Per-channel 8-bit weight quantization in WebAssembly SIMD: the inner loops of
;; src/quant/weights.ts. Hand-written because this runs over every weight of a model and must
;; convert 500 MB/s of fp32 on one core; the same loops in JavaScript reach about 400
;; (bench/quantize-weights.mjs). SIMD gives ONNX's arithmetic exactly, with no tie handling:
;; f32x4.div is the IEEE float32 quotient and f32x4.nearest rounds half to even.
;;
;; Compiled to src/quant/wasm/weights-wasm.ts by `npm run build:wasm` (wabt); a test checks that
;; the committed bytes are this file's.
;;
;; Layouts: a "rows" tensor has `rows` contiguous runs of `len` floats, one channel each
;; (Conv weights per output channel, Gemm with transB, per-tensor as one row). A "cols" tensor is
;; `rows` × `cols` row-major with one channel per column (MatMul [K, N] per column).
;; All pointers are byte offsets into the exported memory; per-channel arrays are float32.
(module
  (memory (export "memory") 1)

  ;; mins[r] = min(mins[r], row r), maxs[r] = max(maxs[r], row r). NaN elements are ignored, as
  ;; the JavaScript comparisons ignore them (pmin/pmax keep the accumulator when it is unordered).
  (func (export "rangeRows") (param $src i32) (param $rows i32) (param $len i32) (param $mins i32) (param $maxs i32)
    (local $p i32) (local $end i32) (local $vend i32) (local $lo v128) (local $hi v128) (local $v v128)
    (local $slo f32) (local $shi f32) (local $x f32)
    (local.set $p (local.get $src))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
        (local.set $slo (f32.load (local.get $mins)))
        (local.set $shi (f32.load (local.get $maxs)))
        (local.set $lo (f32x4.splat (local.get $slo)))
        (local.set $hi (f32x4.splat (local.get $shi)))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $p) (local.get $vend)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $lo (f32x4.pmin (local.get $lo) (local.get $v)))
            (local.set $hi (f32x4.pmax (local.get $hi) (local.get $v)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $vec)))
        ;; fold the four lanes
        (local.set $x (f32x4.extract_lane 0 (local.get $lo)))
        (local.set $slo (select (local.get $x) (local.get $slo) (f32.lt (local.get $x) (local.get $slo))))
        (local.set $x (f32x4.extract_lane 1 (local.get $lo)))
        (local.set $slo (select (local.get $x) (local.get $slo) (f32.lt (local.get $x) (local.get $slo))))
        (local.set $x (f32x4.extract_lane 2 (local.get $lo)))
        (local.set $slo (select (local.get $x) (local.get $slo) (f32.lt (local.get $x) (local.get $slo))))
        (local.set $x (f32x4.extract_lane 3 (local.get $lo)))
        (local.set $slo (select (local.get $x) (local.get $slo) (f32.lt (local.get $x) (local.get $slo))))
        (local.set $x (f32x4.extract_lane 0 (local.get $hi)))
        (local.set $shi (select (local.get $x) (local.get $shi) (f32.gt (local.get $x) (local.get $shi))))
        (local.set $x (f32x4.extract_lane 1 (local.get $hi)))
        (local.set $shi (select (local.get $x) (local.get $shi) (f32.gt (local.get $x) (local.get $shi))))
        (local.set $x (f32x4.extract_lane 2 (local.get $hi)))
        (local.set $shi (select (local.get $x) (local.get $shi) (f32.gt (local.get $x) (local.get $shi))))
        (local.set $x (f32x4.extract_lane 3 (local.get $hi)))
        (local.set $shi (select (local.get $x) (local.get $shi) (f32.gt (local.get $x) (local.get $shi))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $x (f32.load (local.get $p)))
            (local.set $slo (select (local.get $x) (local.get $slo) (f32.lt (local.get $x) (local.get $slo))))
            (local.set $shi (select (local.get $x) (local.get $shi) (f32.gt (local.get $x) (local.get $shi))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $tail)))
        (f32.store (local.get $mins) (local.get $slo))
        (f32.store (local.get $maxs) (local.get $shi))
        (local.set $mins (i32.add (local.get $mins) (i32.const 4)))
        (local.set $maxs (i32.add (local.get $maxs) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; mins[c] = min(mins[c], column c), maxs[c] likewise, over `rows` rows of `cols` floats.
  (func (export "rangeCols") (param $src i32) (param $rows i32) (param $cols i32) (param $mins i32) (param $maxs i32)
    (local $p i32) (local $c i32) (local $vcols i32) (local $pm i32) (local $px i32) (local $v v128) (local $x f32)
    (local.set $p (local.get $src))
    (local.set $vcols (i32.and (local.get $cols) (i32.const -4)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $c) (local.get $vcols)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $pm (i32.add (local.get $mins) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $px (i32.add (local.get $maxs) (i32.shl (local.get $c) (i32.const 2))))
            (v128.store (local.get $pm) (f32x4.pmin (v128.load (local.get $pm)) (local.get $v)))
            (v128.store (local.get $px) (f32x4.pmax (v128.load (local.get $px)) (local.get $v)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $x (f32.load (local.get $p)))
            (local.set $pm (i32.add (local.get $mins) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $px (i32.add (local.get $maxs) (i32.shl (local.get $c) (i32.const 2))))
            (if (f32.lt (local.get $x) (f32.load (local.get $pm))) (then (f32.store (local.get $pm) (local.get $x))))
            (if (f32.gt (local.get $x) (f32.load (local.get $px))) (then (f32.store (local.get $px) (local.get $x))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; Four lanes of saturate(round_half_to_even(x / s) + z) into [qmin, qmax], as int32. NaN
  ;; becomes 0 through trunc_sat, as it does when JavaScript stores NaN into an Int8Array.
  (func $quantize4 (param $x v128) (param $s v128) (param $z v128) (param $qmin v128) (param $qmax v128) (result v128)
    (i32x4.trunc_sat_f32x4_s
      (f32x4.min
        (f32x4.max (f32x4.add (f32x4.nearest (f32x4.div (local.get $x) (local.get $s))) (local.get $z)) (local.get $qmin))
        (local.get $qmax))))

  (func $quantize1 (param $x f32) (param $s f32) (param $z f32) (param $qmin f32) (param $qmax f32) (result i32)
    (i32.trunc_sat_f32_s
      (f32.min
        (f32.max (f32.add (f32.nearest (f32.div (local.get $x) (local.get $s))) (local.get $z)) (local.get $qmin))
        (local.get $qmax))))

  ;; Sixteen int32 lanes (already within [-128, 255]) to sixteen bytes: the low byte of each,
  ;; which is the int8 or the uint8 value alike.
  (func $bytes16 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (i8x16.shuffle 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30
      (i16x8.narrow_i32x4_s (local.get $a) (local.get $b))
      (i16x8.narrow_i32x4_s (local.get $c) (local.get $d))))

  ;; Row r of `len` floats with scales[r] and zps[r] into `len` bytes at dst.
  (func (export "quantizeRows") (param $src i32) (param $rows i32) (param $len i32) (param $scales i32) (param $zps i32)
    (param $qmin f32) (param $qmax f32) (param $dst i32)
    (local $end i32) (local $vend i32) (local $s v128) (local $z v128) (local $lo v128) (local $hi v128)
    (local $ss f32) (local $sz f32)
    (local.set $lo (f32x4.splat (local.get $qmin)))
    (local.set $hi (f32x4.splat (local.get $qmax)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $end (i32.add (local.get $src) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $vend (i32.add (local.get $src) (i32.shl (i32.and (local.get $len) (i32.const -16)) (i32.const 2))))
        (local.set $ss (f32.load (local.get $scales)))
        (local.set $sz (f32.load (local.get $zps)))
        (local.set $s (f32x4.splat (local.get $ss)))
        (local.set $z (f32x4.splat (local.get $sz)))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $src) (local.get $vend)))
            (v128.store (local.get $dst)
              (call $bytes16
                (call $quantize4 (v128.load offset=0 (local.get $src)) (local.get $s) (local.get $z) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=16 (local.get $src)) (local.get $s) (local.get $z) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=32 (local.get $src)) (local.get $s) (local.get $z) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=48 (local.get $src)) (local.get $s) (local.get $z) (local.get $lo) (local.get $hi))))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $src) (local.get $end)))
            (i32.store8 (local.get $dst)
              (call $quantize1 (f32.load (local.get $src)) (local.get $ss) (local.get $sz) (local.get $qmin) (local.get $qmax)))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (br $tail)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $zps (i32.add (local.get $zps) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; `rows` rows of `cols` floats, column c with scales[c] and zps[c], into bytes at dst.
  (func (export "quantizeCols") (param $src i32) (param $rows i32) (param $cols i32) (param $scales i32) (param $zps i32)
    (param $qmin f32) (param $qmax f32) (param $dst i32)
    (local $c i32) (local $vcols i32) (local $ps i32) (local $pz i32) (local $lo v128) (local $hi v128)
    (local.set $lo (f32x4.splat (local.get $qmin)))
    (local.set $hi (f32x4.splat (local.get $qmax)))
    (local.set $vcols (i32.and (local.get $cols) (i32.const -16)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $c (i32.const 0))
        (local.set $ps (local.get $scales))
        (local.set $pz (local.get $zps))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $c) (local.get $vcols)))
            (v128.store (local.get $dst)
              (call $bytes16
                (call $quantize4 (v128.load offset=0 (local.get $src)) (v128.load offset=0 (local.get $ps)) (v128.load offset=0 (local.get $pz)) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=16 (local.get $src)) (v128.load offset=16 (local.get $ps)) (v128.load offset=16 (local.get $pz)) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=32 (local.get $src)) (v128.load offset=32 (local.get $ps)) (v128.load offset=32 (local.get $pz)) (local.get $lo) (local.get $hi))
                (call $quantize4 (v128.load offset=48 (local.get $src)) (v128.load offset=48 (local.get $ps)) (v128.load offset=48 (local.get $pz)) (local.get $lo) (local.get $hi))))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $ps (i32.add (local.get $ps) (i32.const 64)))
            (local.set $pz (i32.add (local.get $pz) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $c) (local.get $cols)))
            (i32.store8 (local.get $dst)
              (call $quantize1 (f32.load (local.get $src)) (f32.load (local.get $ps)) (f32.load (local.get $pz)) (local.get $qmin) (local.get $qmax)))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
            (local.set $pz (i32.add (local.get $pz) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
