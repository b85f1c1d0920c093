import Compose
import Foundation
import JarvisCore

/// A complete response: status, headers and body bytes.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A body produced piece by piece after the headers went out (exports):
    /// the server calls it with a writer; memory stays flat whatever the size.
    public var stream: (@Sendable (_ write: ([UInt8]) throws -> Void) throws -> Void)?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The whole body, running the stream if there is one (tests, small bodies).
    public func collectBody() throws -> [UInt8] {
        guard let stream else { return body }
        var collected: [UInt8] = []
        try stream { collected += $0 }
        return collected
    }

    /// JSON of any encodable value, keys in snake_case.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: [UInt8](try JSONCoding.encoder.encode(value)))
    }

    /// The error body every endpoint uses: `{"error":{"code","message","request_id"}}`.
    public static func error(_ error: JarvisError, requestID: String) -> HTTPResponse {
        HTTPResponse(status: error.status, headers: [("Content-Type", "application/json")] + error.headers,
                     body: JSONCoding.errorBody(error, requestID: requestID))
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Every `Set-Cookie` value.
    public var setCookies: [String] { headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1) }

    fileprivate struct ErrorBody: Encodable {
        struct Detail: Encodable { let code: String; let message: String; let field: String?; let requestId: String }
        let error: Detail
        let confirmation: ConfirmationChallenge?
        let issues: [ComposeIssue]?
    }

    /// Standard reason phrases for the status line.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"; case 201: "Created"; case 202: "Accepted"; case 204: "No Content"
        case 206: "Partial Content"; case 416: "Range Not Satisfiable"; case 507: "Insufficient Storage"
        case 400: "Bad Request"; case 401: "Unauthorized"; case 403: "Forbidden"; case 404: "Not Found"
        case 405: "Method Not Allowed"; case 409: "Conflict"; case 413: "Payload Too Large"; case 415: "Unsupported Media Type"
        case 428: "Precondition Required"; case 429: "Too Many Requests"; case 499: "Client Closed Request"
        case 500: "Internal Server Error"; case 502: "Bad Gateway"; case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// JSON settings shared by every response.
public enum JSONCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    /// The error body every endpoint uses, FastCGI and streams alike.
    public static func errorBody(_ error: JarvisError, requestID: String) -> [UInt8] {
        let body = HTTPResponse.ErrorBody(error: .init(code: error.code, message: error.message, field: error.field, requestId: requestID),
                                          confirmation: error.confirmation, issues: error.issues)
        return (try? encoder.encode(body)).map { [UInt8]($0) } ?? []
    }

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
