/// Primary account number helpers: the characters of a card number, masking and the Luhn check.
public enum PAN {
    /// A card number without its separators (spaces and `-`): the form it is checked and keyed in.
    public static func withoutSeparators(_ number: String) -> String { number.filter { $0 != " " && $0 != "-" } }

    /// Whether `byte` is an ASCII letter or digit, the only characters a card number has.
    public static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Masks a card number for display, logs and receipts.
    ///
    /// At most the first 6 and the last 4 characters stay visible, and never more than leaves at
    /// least half of the number hidden: numbers of 16 or more characters keep 6 + 4, numbers of 8
    /// to 15 keep the last 4, shorter numbers are hidden completely.
    public static func mask(_ number: String) -> String {
        let chars = Array(number)
        let n = chars.count
        let head: Int
        let tail: Int
        switch n {
        case 16...: (head, tail) = (6, 4)
        case 8..<16: (head, tail) = (0, 4)
        default: (head, tail) = (0, 0)
        }
        return String(chars[0..<head]) + String(repeating: "*", count: n - head - tail)
            + String(chars[(n - tail)...])
    }

    /// The Luhn (mod 10) check. Gift cards often fail it; callers treat it as a flag, not a gate.
    public static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        var double = false
        var count = 0
        for scalar in digits.unicodeScalars.reversed() {
            guard ("0"..."9").contains(scalar) else { return false }
            var v = Int(scalar.value) - 48
            if double {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            double.toggle()
            count += 1
        }
        return count >= 2 && sum % 10 == 0
    }
}
