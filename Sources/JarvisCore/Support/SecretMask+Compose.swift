import Foundation

extension SecretMask {
    /// A Compose file as text, for viewers: the values of secret keys masked wherever
    /// they are (`environment:` and build `args:` in map form `KEY: value` and list form
    /// `- KEY=value`, flow forms, `KEY=value` inside commands), block scalars under a
    /// secret key masked line by line, user-info URLs masked everywhere. Line count,
    /// indentation, keys and comments are unchanged, so findings still point right.
    public static func maskComposeText(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        var blockIndent: Int?   // a secret key whose `|`/`>` block follows, at this indent
        var open: Character?    // a quoted secret value still open from an earlier line
        for number in lines.indices {
            let line = lines[number]
            if let shown = insideOpenQuote(line, &open) {
                lines[number] = shown
                continue
            }
            let indent = line.prefix { $0 == " " }.count
            if let keyIndent = blockIndent {
                if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
                if indent > keyIndent {
                    lines[number] = String(repeating: " ", count: indent) + mask
                    continue
                }
                blockIndent = nil
            }
            var masked = line
            if let mapping = yamlMapping(line), isSecretKey(line[mapping.key]) {
                let value = line[mapping.value...]
                if value.hasPrefix("|") || value.hasPrefix(">") {
                    blockIndent = mapping.indent
                } else if value.hasPrefix("*") || value.hasPrefix("[") || value.hasPrefix("{") {
                    // An alias shows no value; flow collections are masked pair by pair below.
                } else if value.hasPrefix("&") {
                    // `&anchor value`: keep the anchor's name.
                    let afterAnchor = value.firstIndex(where: { $0 == " " }) ?? line.endIndex
                    let start = line[afterAnchor...].firstIndex(where: { $0 != " " }) ?? line.endIndex
                    (masked, open) = maskScalar(line, from: start, commentNeedsSpace: true)
                } else {
                    (masked, open) = maskScalar(line, from: mapping.value, commentNeedsSpace: true)
                }
            } else if let item = listItemAssignment(line), isSecretKey(line[item.key]) {
                (masked, open) = maskItemValue(line, item: item)
            }
            masked = maskAssignments(in: masked)
            masked = maskFlowPairs(in: masked)
            lines[number] = maskURLs(in: masked)
        }
        return lines.joined(separator: "\n")
    }

    /// `  [- ]["]key["]: value` → the key, where its value starts (nil when empty), the key's column.
    private static func yamlMapping(_ line: String) -> (key: Range<String.Index>, value: String.Index, indent: Int)? {
        var index = line.startIndex
        while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
        if line[index...].hasPrefix("- ") { index = line.index(index, offsetBy: 2) }
        while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
        let indent = line.distance(from: line.startIndex, to: index)
        var quote: Character?
        if index < line.endIndex, line[index] == "\"" || line[index] == "'" { quote = line[index]; index = line.index(after: index) }
        let keyStart = index
        while index < line.endIndex, line[index].isLetter || line[index].isNumber || "_.-".contains(line[index]) { index = line.index(after: index) }
        guard index > keyStart else { return nil }
        let keyEnd = index
        if let quote {
            guard index < line.endIndex, line[index] == quote else { return nil }
            index = line.index(after: index)
        }
        while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
        guard index < line.endIndex, line[index] == ":" else { return nil }
        index = line.index(after: index)
        guard index < line.endIndex, line[index] == " " || line[index] == "\t" else { return nil }
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        guard index < line.endIndex, line[index] != "#" else { return nil }
        return (keyStart..<keyEnd, index, indent)
    }

    /// `  - ["]KEY=value["]` → the key, and where the value starts; the item's quote.
    private static func listItemAssignment(_ line: String) -> (key: Range<String.Index>, value: String.Index, quote: Character?)? {
        var index = line.startIndex
        while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
        guard line[index...].hasPrefix("- ") else { return nil }
        index = line.index(index, offsetBy: 2)
        while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
        var quote: Character?
        if index < line.endIndex, line[index] == "\"" || line[index] == "'" { quote = line[index]; index = line.index(after: index) }
        let keyStart = index
        while index < line.endIndex, line[index].isLetter || line[index].isNumber || "_.-".contains(line[index]) { index = line.index(after: index) }
        guard index > keyStart, index < line.endIndex, line[index] == "=" else { return nil }
        return (keyStart..<index, line.index(after: index), quote)
    }

    /// The value of a list item `- KEY=value`: to the item's closing quote, or (unquoted) to a comment.
    private static func maskItemValue(_ line: String, item: (key: Range<String.Index>, value: String.Index, quote: Character?)) -> (String, Character?) {
        let head = String(line[..<item.value])
        guard let quote = item.quote else {
            let (masked, _) = maskScalar(line, from: item.value, commentNeedsSpace: true)
            return item.value == line.endIndex ? (line, nil) : (masked, nil)
        }
        guard let close = line[item.value...].firstIndex(of: quote) else { return (head + mask, quote) }
        return (head + mask + String(line[close...]), nil)
    }

    private static let assignment = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]*)=([^\s"',\]}]+)"#)
    private static let flowPair = try! NSRegularExpression(pattern: #"([{,]\s*)(["']?)([A-Za-z0-9_.-]+)\2\s*:\s+([^,}\s][^,}]*)"#)

    /// `KEY=value` tokens with a secret key (commands, flow lists), value up to a blank, quote or separator.
    static func maskAssignments(in line: String) -> String {
        replace(assignment, in: line, key: 1, value: 2)
    }

    /// `{ KEY: value, … }` pairs with a secret key.
    static func maskFlowPairs(in line: String) -> String {
        replace(flowPair, in: line, key: 3, value: 4)
    }

    private static func replace(_ expression: NSRegularExpression, in line: String, key: Int, value: Int) -> String {
        guard line.contains("=") || line.contains(":") else { return line }
        let text = line as NSString
        var result = line
        for match in expression.matches(in: line, range: NSRange(location: 0, length: text.length)).reversed() {
            guard isSecretKey(text.substring(with: match.range(at: key))) else { continue }
            var range = match.range(at: value)
            // Keep blanks before a closing brace.
            let found = text.substring(with: range)
            let trimmed = found.replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
            range.length = (trimmed as NSString).length
            guard range.length > 0, let swiftRange = Range(range, in: result) else { continue }
            result.replaceSubrange(swiftRange, with: mask)
        }
        return result
    }
}
