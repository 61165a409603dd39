extension SequentialJPEGDecoder {
    /// Dequantization and the 8×8 inverse DCT of IJG's `jidctint.c` ("islow": Loeffler–
    /// Ligtenberg–Moschytz with 12 multiplies, 13-bit fixed-point constants), followed by its
    /// range-limit table. Written out plainly because no Debian library with a C API decodes
    /// 12-bit JPEG, and chosen because it is what dcmtk's `dcmdjpeg` (IJG 6b, libijg12) and
    /// libjpeg-turbo's accurate DCT compute: the tests require their exact output.
    /// 8-bit samples scale the first pass by 2 bits (PASS1_BITS 2), 12-bit by 1 to avoid overflow.
    struct InverseDCT {
        static let constantBits = 13
        static let fix0_298631336 = 2446, fix0_390180644 = 3196, fix0_541196100 = 4433, fix0_765366865 = 6270
        static let fix0_899976223 = 7373, fix1_175875602 = 9633, fix1_501321110 = 12299, fix1_847759065 = 15137
        static let fix1_961570560 = 16069, fix2_053119869 = 16819, fix2_562915447 = 20995, fix3_072711026 = 25172

        /// Quantization steps in natural order.
        let quantization: [Int]
        let pass1Bits: Int
        /// IJG's post-IDCT range limit indexed by `value & mask`: value + centre clamped to
        /// [0, max], with IJG's wrap-around for the (corrupt-data) values beyond ±2·(max+1).
        let rangeLimit: [UInt16]
        let mask: Int

        init(quantization: [Int], precision: Int) {
            self.quantization = quantization
            pass1Bits = precision == 8 ? 2 : 1
            let maximum = (1 << precision) - 1, centre = 1 << (precision - 1)
            mask = 4 * maximum + 3
            rangeLimit = (0...mask).map { index in
                if index < maximum + 1 - centre { return UInt16(index + centre) }
                if index < 2 * (maximum + 1) { return UInt16(maximum) }
                if index < 4 * (maximum + 1) - centre { return 0 }
                return UInt16(index - (4 * (maximum + 1) - centre))
            }
        }

        @inline(__always)
        static func descale(_ value: Int, _ bits: Int) -> Int { (value &+ (1 << (bits - 1))) >> bits }

        /// One 8-point inverse DCT of jidctint.c on x0…x7, results scaled by 2^13 (before the
        /// caller's descale), in output order 0…7. Both passes use it: IJG repeats the same code.
        /// Wrapping arithmetic is exact here: inputs are below 2^32 in magnitude (16-bit
        /// coefficient × 16-bit step, or a 32-bit workspace value), so no term reaches 2^50.
        @inline(__always)
        static func butterflies(_ x0: Int, _ x1: Int, _ x2: Int, _ x3: Int, _ x4: Int, _ x5: Int, _ x6: Int, _ x7: Int)
            -> (Int, Int, Int, Int, Int, Int, Int, Int) {
            // Even part: the reverse of the forward DCT's even part, rotator sqrt(2)·c(-6).
            let z1 = (x2 &+ x6) &* fix0_541196100
            let even2 = z1 &+ x6 &* -fix1_847759065, even3 = z1 &+ x2 &* fix0_765366865
            let even0 = (x0 &+ x4) << constantBits, even1 = (x0 &- x4) << constantBits
            let tmp10 = even0 &+ even3, tmp13 = even0 &- even3, tmp11 = even1 &+ even2, tmp12 = even1 &- even2
            // Odd part (Loeffler et al.'s figure 8, the matrix being unitary, its own transpose).
            let a1 = x7 &+ x1, a2 = x5 &+ x3, a3 = x7 &+ x3, a4 = x5 &+ x1
            let z5 = (a3 &+ a4) &* fix1_175875602
            let b1 = a1 &* -fix0_899976223, b2 = a2 &* -fix2_562915447
            let b3 = a3 &* -fix1_961570560 &+ z5, b4 = a4 &* -fix0_390180644 &+ z5
            let tmp0 = x7 &* fix0_298631336 &+ b1 &+ b3, tmp1 = x5 &* fix2_053119869 &+ b2 &+ b4
            let tmp2 = x3 &* fix3_072711026 &+ b2 &+ b3, tmp3 = x1 &* fix1_501321110 &+ b1 &+ b4
            return (tmp10 &+ tmp3, tmp11 &+ tmp2, tmp12 &+ tmp1, tmp13 &+ tmp0, tmp13 &- tmp0, tmp12 &- tmp1, tmp11 &- tmp2, tmp10 &- tmp3)
        }

        /// coefficients: (8, 8) quantized, natural order → output: 8 rows of 8 samples at `stride`.
        func transform(_ coefficients: UnsafeBufferPointer<Int32>, into output: UnsafeMutablePointer<UInt16>, stride: Int) {
            typealias C = InverseDCT
            let bits = C.constantBits, pass1 = pass1Bits
            var workspace = (Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                             Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0))
            quantization.withUnsafeBufferPointer { q in
            rangeLimit.withUnsafeBufferPointer { limit in
            withUnsafeMutableBytes(of: &workspace) { raw in
                // IJG's workspace is `int`: the first pass's results are kept in 32 bits.
                let ws = raw.bindMemory(to: Int32.self)
                // Pass 1: columns of the input into the workspace, scaled up by 2^pass1.
                for column in 0..<8 {
                    func input(_ row: Int) -> Int { Int(coefficients[row * 8 + column]) &* q[row * 8 + column] }
                    if coefficients[8 + column] == 0 && coefficients[16 + column] == 0 && coefficients[24 + column] == 0
                        && coefficients[32 + column] == 0 && coefficients[40 + column] == 0
                        && coefficients[48 + column] == 0 && coefficients[56 + column] == 0 {
                        let dc = Int32(truncatingIfNeeded: input(0) << pass1)   // AC terms zero: a constant column
                        for row in 0..<8 { ws[row * 8 + column] = dc }
                        continue
                    }
                    let shift = bits - pass1
                    let r = C.butterflies(input(0), input(1), input(2), input(3), input(4), input(5), input(6), input(7))
                    ws[column] = Int32(truncatingIfNeeded: C.descale(r.0, shift))
                    ws[8 + column] = Int32(truncatingIfNeeded: C.descale(r.1, shift))
                    ws[16 + column] = Int32(truncatingIfNeeded: C.descale(r.2, shift))
                    ws[24 + column] = Int32(truncatingIfNeeded: C.descale(r.3, shift))
                    ws[32 + column] = Int32(truncatingIfNeeded: C.descale(r.4, shift))
                    ws[40 + column] = Int32(truncatingIfNeeded: C.descale(r.5, shift))
                    ws[48 + column] = Int32(truncatingIfNeeded: C.descale(r.6, shift))
                    ws[56 + column] = Int32(truncatingIfNeeded: C.descale(r.7, shift))
                }
                // Pass 2: rows of the workspace to samples, removing 2^pass1 and the factor 8.
                let shift = bits + pass1 + 3
                for row in 0..<8 {
                    let w = ws.baseAddress! + row * 8
                    let out = output + row * stride
                    func sample(_ value: Int) -> UInt16 { limit[value & mask] }
                    if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
                        let value = sample(C.descale(Int(w[0]), pass1 + 3))   // AC terms zero: a constant row
                        for x in 0..<8 { out[x] = value }
                        continue
                    }
                    let r = C.butterflies(Int(w[0]), Int(w[1]), Int(w[2]), Int(w[3]), Int(w[4]), Int(w[5]), Int(w[6]), Int(w[7]))
                    out[0] = sample(C.descale(r.0, shift)); out[1] = sample(C.descale(r.1, shift))
                    out[2] = sample(C.descale(r.2, shift)); out[3] = sample(C.descale(r.3, shift))
                    out[4] = sample(C.descale(r.4, shift)); out[5] = sample(C.descale(r.5, shift))
                    out[6] = sample(C.descale(r.6, shift)); out[7] = sample(C.descale(r.7, shift))
                }
            }
            }
            }
        }
    }
}
