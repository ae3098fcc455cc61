import Logging
import SMFSecurity

/// Process-wide logging, set once by the `smflow` command before anything
/// logs. Logs go to standard error so that standard output stays for what a
/// command prints (`secrets generate`, `config show`).
public enum LoggingSetup {
    public static func bootstrap(format: AppConfig.LogFormat, level: AppConfig.LogLevel) {
        let logLevel = Logger.Level(level)
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
        }
    }
}

extension Logger.Level {
    init(_ level: AppConfig.LogLevel) {
        self = switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
