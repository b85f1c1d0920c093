import Foundation

/// `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
/// `${VAR?error}`, `${VAR:+other}`, `${VAR+other}` and `$$`, as the Compose
/// specification defines them. Defaults may themselves hold variables.
public struct Interpolator: Sendable {
    public struct Failure: Error, Sendable, Equatable {
        public let message: String
    }

    public let variables: [String: String]

    public init(_ variables: [String: String]) { self.variables = variables }

    public func interpolate(_ text: String) throws -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            guard next < text.endIndex else { output.append("$"); break }
            if text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
            } else if text[next] == "{" {
                guard let close = Self.matchingBrace(text, from: next) else {
                    throw Failure(message: "unclosed ${ in \"\(text)\"")
                }
                output += try expand(String(text[text.index(after: next)..<close]), in: text)
                index = text.index(after: close)
            } else if Self.isNameStart(text[next]) {
                var end = next
                while end < text.endIndex, Self.isNameCharacter(text[end]) { end = text.index(after: end) }
                output += variables[String(text[next..<end])] ?? ""
                index = end
            } else {
                output.append("$")
                index = next
            }
        }
        return output
    }

    private func expand(_ body: String, in text: String) throws -> String {
        var nameEnd = body.startIndex
        while nameEnd < body.endIndex, Self.isNameCharacter(body[nameEnd]) { nameEnd = body.index(after: nameEnd) }
        let name = String(body[..<nameEnd])
        guard !name.isEmpty, Self.isNameStart(name.first!) else {
            throw Failure(message: "invalid variable name in \"${\(body)}\"")
        }
        let rest = body[nameEnd...]
        let value = variables[name]
        if rest.isEmpty { return value ?? "" }
        let colon = rest.hasPrefix(":")
        let operatorIndex = colon ? rest.index(after: rest.startIndex) : rest.startIndex
        guard operatorIndex < rest.endIndex else { throw Failure(message: "invalid interpolation \"${\(body)}\"") }
        let operation = rest[operatorIndex]
        let argument = String(rest[rest.index(after: operatorIndex)...])
        // With a colon an empty value counts as unset.
        let isSet = colon ? !(value ?? "").isEmpty : value != nil
        switch operation {
        case "-":
            return isSet ? value! : try interpolate(argument)
        case "+":
            return isSet ? try interpolate(argument) : ""
        case "?":
            if isSet { return value! }
            let reason = try interpolate(argument)
            throw Failure(message: reason.isEmpty ? "required variable \(name) is missing a value" : "required variable \(name): \(reason)")
        default:
            throw Failure(message: "invalid interpolation \"${\(body)}\"")
        }
    }

    private static func matchingBrace(_ text: String, from open: String.Index) -> String.Index? {
        var depth = 0
        var index = open
        while index < text.endIndex {
            if text[index] == "{" { depth += 1 }
            if text[index] == "}" {
                depth -= 1
                if depth == 0 { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func isNameStart(_ character: Character) -> Bool { character == "_" || (character.isASCII && character.isLetter) }
    private static func isNameCharacter(_ character: Character) -> Bool { isNameStart(character) || (character.isASCII && character.isNumber) }
}
