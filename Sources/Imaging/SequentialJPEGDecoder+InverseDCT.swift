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
        static func descale(_ value: Int, _ bits: Int) -> Int { (value + (1 << (bits - 1))) >> bits }

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
                    func input(_ row: Int) -> Int { Int(coefficients[row * 8 + column]) * q[row * 8 + column] }
                    if coefficients[8 + column] == 0 && coefficients[16 + column] == 0 && coefficients[24 + column] == 0
                        && coefficients[32 + column] == 0 && coefficients[40 + column] == 0
                        && coefficients[48 + column] == 0 && coefficients[56 + column] == 0 {
                        let dc = Int32(truncatingIfNeeded: input(0) << pass1)   // AC terms zero: a constant column
                        for row in 0..<8 { ws[row * 8 + column] = dc }
                        continue
                    }
                    // Even part: the reverse of the forward DCT's even part, rotator sqrt(2)·c(-6).
                    var z2 = input(2), z3 = input(6)
                    var z1 = (z2 + z3) * C.fix0_541196100
                    var tmp2 = z1 + z3 * -C.fix1_847759065
                    var tmp3 = z1 + z2 * C.fix0_765366865
                    z2 = input(0); z3 = input(4)
                    var tmp0 = (z2 + z3) << bits
                    var tmp1 = (z2 - z3) << bits
                    let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
                    // Odd part (Figure 8 of the paper; the matrix is unitary, so it is its own transpose).
                    tmp0 = input(7); tmp1 = input(5); tmp2 = input(3); tmp3 = input(1)
                    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2
                    var z4 = tmp1 + tmp3
                    let z5 = (z3 + z4) * C.fix1_175875602
                    tmp0 *= C.fix0_298631336; tmp1 *= C.fix2_053119869; tmp2 *= C.fix3_072711026; tmp3 *= C.fix1_501321110
                    z1 *= -C.fix0_899976223; z2 *= -C.fix2_562915447; z3 *= -C.fix1_961570560; z4 *= -C.fix0_390180644
                    z3 += z5; z4 += z5
                    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4
                    let shift = bits - pass1
                    ws[column] = Int32(truncatingIfNeeded: C.descale(tmp10 + tmp3, shift))
                    ws[56 + column] = Int32(truncatingIfNeeded: C.descale(tmp10 - tmp3, shift))
                    ws[8 + column] = Int32(truncatingIfNeeded: C.descale(tmp11 + tmp2, shift))
                    ws[48 + column] = Int32(truncatingIfNeeded: C.descale(tmp11 - tmp2, shift))
                    ws[16 + column] = Int32(truncatingIfNeeded: C.descale(tmp12 + tmp1, shift))
                    ws[40 + column] = Int32(truncatingIfNeeded: C.descale(tmp12 - tmp1, shift))
                    ws[24 + column] = Int32(truncatingIfNeeded: C.descale(tmp13 + tmp0, shift))
                    ws[32 + column] = Int32(truncatingIfNeeded: C.descale(tmp13 - tmp0, shift))
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
                    var z2 = Int(w[2]), z3 = Int(w[6])
                    var z1 = (z2 + z3) * C.fix0_541196100
                    var tmp2 = z1 + z3 * -C.fix1_847759065
                    var tmp3 = z1 + z2 * C.fix0_765366865
                    var tmp0 = (Int(w[0]) + Int(w[4])) << bits
                    var tmp1 = (Int(w[0]) - Int(w[4])) << bits
                    let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
                    tmp0 = Int(w[7]); tmp1 = Int(w[5]); tmp2 = Int(w[3]); tmp3 = Int(w[1])
                    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2
                    var z4 = tmp1 + tmp3
                    let z5 = (z3 + z4) * C.fix1_175875602
                    tmp0 *= C.fix0_298631336; tmp1 *= C.fix2_053119869; tmp2 *= C.fix3_072711026; tmp3 *= C.fix1_501321110
                    z1 *= -C.fix0_899976223; z2 *= -C.fix2_562915447; z3 *= -C.fix1_961570560; z4 *= -C.fix0_390180644
                    z3 += z5; z4 += z5
                    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4
                    out[0] = sample(C.descale(tmp10 + tmp3, shift))
                    out[7] = sample(C.descale(tmp10 - tmp3, shift))
                    out[1] = sample(C.descale(tmp11 + tmp2, shift))
                    out[6] = sample(C.descale(tmp11 - tmp2, shift))
                    out[2] = sample(C.descale(tmp12 + tmp1, shift))
                    out[5] = sample(C.descale(tmp12 - tmp1, shift))
                    out[3] = sample(C.descale(tmp13 + tmp0, shift))
                    out[4] = sample(C.descale(tmp13 - tmp0, shift))
                }
            }
            }
            }
        }
    }
}
