import Foundation

/// Where the daemon keeps its socket and state unless configured otherwise. Shared by the daemon
/// and the command-line client so both find the same socket.
public enum DefaultPaths {
    public static let socket = "/run/giftbridge/api.sock"
    public static let stateDirectory = "/var/lib/giftbridge"
    public static let configFile = "/etc/giftbridge/config.yaml"

    /// The state directory of demo mode: `$XDG_STATE_HOME/giftbridge-demo`, else
    /// `~/.local/state/giftbridge-demo`.
    public static func demoStateDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/giftbridge-demo" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return home + "/.local/state/giftbridge-demo"
    }

    /// The socket a client uses: `$GIFTBRIDGE_SOCKET`, else the system socket if it exists, else
    /// the demo socket.
    public static func clientSocket(environment: [String: String]) -> String {
        if let s = environment["GIFTBRIDGE_SOCKET"], !s.isEmpty { return s }
        if FileManager.default.fileExists(atPath: socket) { return socket }
        return demoStateDirectory(environment: environment) + "/api.sock"
    }
}
