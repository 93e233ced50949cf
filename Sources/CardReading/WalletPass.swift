import Foundation

/// NFC wallet pass reads from readers that decrypt passes themselves (VTAP, SpringCard, Socket
/// Mobile S550 …) and type or send the pass message, optionally with a pass-type marker:
/// `A` Apple VAS, `G` Google Smart Tap.
public enum WalletKind: String, Sendable, Codable { case appleVAS = "apple_vas", googleSmartTap = "google_smart_tap" }

public struct WalletPassRead: Sendable, Equatable {
    public var kind: WalletKind
    /// The payload bytes as the reader gave them.
    public var payload: [UInt8]

    /// Base64 (RFC 4648, standard alphabet, padded), as `appleNfcVasPayload` /
    /// `googleNfcVasPayload` carry it.
    public var base64: String { Data(payload).base64EncodedString() }

    public var cardInfo: CardInfo {
        kind == .appleVAS ? CardInfo(appleNfcVasPayload: base64) : CardInfo(googleNfcVasPayload: base64)
    }
}

public enum WalletPassError: Error, Equatable, Sendable {
    case empty, unknownMarker, tooLong

    public var reasonCode: String {
        switch self {
        case .empty: "empty"
        case .unknownMarker: "unknown_pass_marker"
        case .tooLong: "too_long"
        }
    }
}

public struct WalletPassDecoder: Sendable {
    /// Characters between the marker and the payload (VTAP can put a separator there).
    public var separator: String
    /// The kind of a read without a marker (readers set to plain pass output), or nil to require one.
    public var unmarkedKind: WalletKind?

    public init(separator: String = "", unmarkedKind: WalletKind? = nil) {
        self.separator = separator
        self.unmarkedKind = unmarkedKind
    }

    public func decode(_ bytes: [UInt8]) -> Result<WalletPassRead, WalletPassError> {
        var b = bytes[...]
        while let last = b.last, last == 0x0D || last == 0x0A { b = b.dropLast() }
        guard !b.isEmpty else { return .failure(.empty) }
        guard b.count <= 1024 else { return .failure(.tooLong) }
        if let kind = unmarkedKind { return .success(WalletPassRead(kind: kind, payload: Array(b))) }
        let kind: WalletKind
        switch b.first {
        case UInt8(ascii: "A"): kind = .appleVAS
        case UInt8(ascii: "G"): kind = .googleSmartTap
        default: return .failure(.unknownMarker)
        }
        b = b.dropFirst()
        let sep = Array(separator.utf8)
        if !sep.isEmpty, b.starts(with: sep) { b = b.dropFirst(sep.count) }
        guard !b.isEmpty else { return .failure(.empty) }
        return .success(WalletPassRead(kind: kind, payload: Array(b)))
    }
}
