/// What a new password must satisfy: long enough, not the username, not a
/// password that every attacker tries first.
public enum PasswordPolicy {
    public static let minimumLength = 12

    static let common: Set<String> = [
        "123456789012", "1234567890123", "password1234", "passwordpassword", "qwertyuiopas", "qwerty123456",
        "administrator", "adminadminadmin", "letmein12345", "iloveyou1234", "welcome12345", "changeme1234",
        "111111111111", "000000000000", "abcdefghijkl", "abc123456789", "password123!", "p@ssw0rd1234",
        "dockerdocker", "docker123456", "jarvisjarvis", "jarvis123456", "trustno1trustno1", "monkey123456",
        "football1234", "baseball1234", "superman1234", "sunshine1234", "princess1234", "dragon123456",
        "correcthorsebatterystaple", "qwertyqwerty", "aaaaaaaaaaaa", "passw0rdpassw0rd",
    ]

    /// Nil when acceptable, else the reason shown to the user.
    public static func problem(with password: String, username: String) -> String? {
        if password.count < minimumLength { return "password must have at least \(minimumLength) characters" }
        let lowered = password.lowercased()
        if lowered == username.lowercased() || lowered.contains(username.lowercased()) && username.count >= 4 {
            return "password must not contain the username"
        }
        if common.contains(lowered) || Set(lowered).count <= 2 { return "password is too common" }
        return nil
    }

    public static func check(_ password: String, username: String) throws {
        if let problem = problem(with: password, username: username) {
            throw JarvisError.badRequest(problem, code: "weak_password")
        }
    }
}
