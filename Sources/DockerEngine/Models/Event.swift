/// One engine event from `GET /events`.
public struct EngineEvent: Codable, Sendable, Equatable {
    public let type: String
    public let action: String
    public let actor: Actor
    public let scope: String?
    public let time: Int64
    public let timeNano: Int64

    public struct Actor: Codable, Sendable, Equatable {
        public let id: String
        public let attributes: [String: String]?

        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type", action = "Action", actor = "Actor", scope, time, timeNano
    }
}
