/// Primary account number helpers: masking and the Luhn check.
public enum PAN {
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
