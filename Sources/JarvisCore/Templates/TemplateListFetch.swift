import Foundation

/// Fetches a template list from an admin's URL: http(s) only, at most `maxBytes` (the transfer is
/// cut off past it), `timeout` seconds in all, redirects followed up to 3 times (still http(s)).
enum TemplateListFetch {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func get(_ url: String, maxBytes: Int, timeout: Int = 20) async throws -> Data {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw Failure(description: "the URL must be http:// or https://")
        }
        var request = OutboundClient.HTTPRequest(method: "GET", url: url)
        request.maxBody = maxBytes
        request.failOverMax = true
        request.maxRedirects = 3
        request.timeout = timeout
        request.userAgent = "Jarvis-Templates/1"
        let answer = await OutboundClient.send(request)
        if answer.overflowed { throw Failure(description: "the list is larger than \(maxBytes) bytes") }
        if let error = answer.transportError { throw Failure(description: error) }
        guard (200..<300).contains(answer.status) else { throw Failure(description: "the server answered HTTP \(answer.status)") }
        return Data(answer.body.utf8)
    }
}
