import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Why a request was cut off before its end: its bytes are not HTTP/1.1 (a bad chunk size, junk
/// in a chunk extension, a body cut short by the peer's EOF), or its body did not arrive within
/// the request deadline. Either way the connection is closed after the answer.
public enum RequestCutOff: Error, Sendable, Equatable {
    case malformed(String)
    case deadline(seconds: Int64)

    /// The answer: 400 `malformed_request` or 408 `request_timeout`, with `Connection: close`.
    public var apiError: APIError {
        var error = switch self {
        case .malformed(let why):
            APIError(.badRequest, "malformed_request", "the request is not well-formed HTTP (\(why)); the connection is closed")
        case .deadline(let seconds):
            APIError(.requestTimeout, "request_timeout", "the request body did not arrive within \(seconds) s of its head (api.request-deadline-seconds); the connection is closed")
        }
        error.headers[.connection] = "close"
        return error
    }

    /// A framing error from the HTTP/1.1 decoder or the conversion to HTTP types; nil for any
    /// other error (a reset connection, say).
    init?(framing error: any Error) {
        switch error {
        case let e as HTTPParserError: self = .malformed("\(e)")
        case let e as ByteToMessageDecoderError: self = .malformed("\(e)")
        case is HTTP1TypeConversionError: self = .malformed("the request head cannot be read")
        default: return nil
        }
    }
}

/// Sits between the HTTP/1.1 codec and Hummingbird's connection handling and does two things
/// Hummingbird does not:
///
/// - A deadline from a request's head to the end of its body (the idle timeout restarts with
///   every byte, so a body trickling in byte by byte would otherwise never be cut off).
/// - Framing errors answered with the API's JSON error and the connection closed. An error inside
///   a request's body goes to whoever reads the body (the route answers 400 or 408 through
///   ``JSONErrorMiddleware``; a route that does not read it has answered already, and the
///   connection closes after its answer). An error where a request head should be (nothing of
///   the request reached the routes) is answered here, once the responses before it are out.
///
/// Decoder errors never reach Hummingbird, which would answer them with an empty 400 or, inside
/// a body, let them become a 500. Runs on the channel's event loop only; no timer while no
/// request is being received.
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadline: TimeAmount
    private var requestsStarted = 0
    private var responsesEnded = 0
    private var inRequest = false
    private var timer: Scheduled<Void>?
    /// Set at the first framing error or deadline: nothing more is read from this connection.
    private var cutOff = false
    /// An answer of our own, waiting for the responses before it.
    private var pendingAnswer: APIError?

    init(deadline: Duration) {
        self.deadline = .init(deadline)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !cutOff else { return }
        switch unwrapInboundIn(data) {
        case .head:
            requestsStarted += 1
            inRequest = true
            timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: deadline) { [self] in
                timer = nil
                cut(context, .deadline(seconds: deadline.nanoseconds / 1_000_000_000))
            }
        case .body:
            break
        case .end:
            inRequest = false
            cancelTimer()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let framing = RequestCutOff(framing: error) {
            cut(context, framing)
        } else if !cutOff {
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if case .end = unwrapOutboundIn(data) {
            responsesEnded += 1
            if responsesEnded == requestsStarted, let pending = pendingAnswer {
                pendingAnswer = nil
                answer(context, pending)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    /// Stops reading this connection and has the request answered: by the route reading its
    /// body (the error goes down the pipeline to it), or here when no request is in progress.
    private func cut(_ context: ChannelHandlerContext, _ why: RequestCutOff) {
        guard !cutOff else { return }
        cutOff = true
        cancelTimer()
        if inRequest {
            context.fireErrorCaught(why)
        } else if responsesEnded == requestsStarted {
            answer(context, why.apiError)
        } else {
            pendingAnswer = why.apiError
        }
    }

    /// Writes `error` as the JSON error response, then closes the connection.
    private func answer(_ context: ChannelHandlerContext, _ error: APIError) {
        let body = error.jsonBody()
        var fields = error.headers
        fields[.contentType] = "application/json"
        fields[.contentLength] = "\(body.readableBytes)"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
