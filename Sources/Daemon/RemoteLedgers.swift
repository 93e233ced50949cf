import ConnectorCore
import Connectors
import Foundation
import LocalAPI
import Ledger

/// The remote ledger `ledger.backend` names, with its outbox in `<state>/outbox.sqlite`.
extension Daemon {
    static func remoteLedger(_ r: RemoteLedgerConfig, config: DaemonConfig, environment: [String: String]) throws(StartupError) -> any RemoteLedger {
        let secret = try credentials(r, environment: environment)
        let authorization = switch r.provider {
        case .piggy: "Bearer " + secret
        default: "Basic " + Data(secret.utf8).base64EncodedString()
        }
        let transport = ProviderTransport(
            endpoint: ProviderEndpoint(baseURL: r.baseURL, connectTimeoutMs: r.connectTimeoutMs, readTimeoutMs: r.readTimeoutMs),
            authorization: authorization)
        let outboxPath = config.stateDirectory + "/outbox.sqlite"
        let outbox: OutboxStore
        do { outbox = try OutboxStore(path: outboxPath) } catch { throw .cannotCreate("outbox \(outboxPath): \(error)") }
        do {
            switch r.provider {
            case .paytronix:
                return try PaytronixLedger(
                    transport: transport, outbox: outbox,
                    settings: Paytronix.Settings(merchantId: r.merchantId ?? 0, storeCode: r.storeCode ?? "", currency: config.currency))
            case .piggy:
                return try PiggyLedger(transport: transport, outbox: outbox, settings: Piggy.Settings(shopUuid: r.shopUuid ?? "", currency: config.currency))
            case .zmyle:
                return try ZmyleLedger(transport: transport, outbox: outbox, currency: config.currency)
            case .sqlite, .postgresql:
                throw StartupError.unavailable("ledger.backend \(r.provider.rawValue) is not a remote ledger")
            }
        } catch let e as StartupError {
            throw e
        } catch {
            throw .cannotCreate("outbox \(outboxPath): \(error)")
        }
    }

    /// The credentials, from the file or the environment variable the configuration names;
    /// `user:secret` for Paytronix and Zmyle (HTTP basic), the API key for Piggy (Bearer).
    static func credentials(_ r: RemoteLedgerConfig, environment: [String: String]) throws(StartupError) -> String {
        let key = "ledger.\(r.provider.rawValue)."
        let text: String
        if let file = r.credentialsFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw .unavailable("cannot read the credentials file \(file) (\(key)credentials-file)")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if let name = r.credentialsEnv {
            guard let value = environment[name] else { throw .unavailable("the environment variable \(name) (\(key)credentials-env) is not set") }
            text = value
        } else {
            throw .unavailable("no credentials for \(r.provider.rawValue)")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty, !secret.contains("\n") else { throw .unavailable("the \(r.provider.rawValue) credentials are empty or span several lines") }
        if r.provider != .piggy, !secret.contains(":") { throw .unavailable("the \(r.provider.rawValue) credentials must be user:secret") }
        return secret
    }
}

extension DaemonBackend {
    /// A remote ledger in `/v1/health`: reachable, its outbox depth and stuck reversals.
    static func connectorHealth(_ remote: any RemoteLedger) -> LedgerHealth {
        let h = remote.health()
        let info = ConnectorInfo(
            provider: h.provider, baseURL: h.baseURL, reachable: h.reachable, lastError: h.lastError,
            lastSuccessAt: h.lastSuccessAt.map(LedgerTime.timestamp), outboxDepth: h.outboxDepth, pendingReversals: h.pendingReversals, outboxStuck: h.outboxStuck)
        let ok = h.reachable && h.pendingReversals == 0 && h.outboxStuck == 0
        return LedgerHealth(backend: h.provider, ok: ok, error: ok ? nil : h.lastError, connector: info)
    }
}
