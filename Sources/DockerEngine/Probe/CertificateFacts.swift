import Crypto
import Foundation
import X509

/// What an operator may see of a certificate (never the key): who it names, who signed it,
/// until when, and its SHA-256 fingerprint.
public struct CertificateFacts: Sendable, Equatable, Codable {
    /// RFC 4514 form, most specific part first: `CN=near.jarvis.test,O=Jarvis`.
    public let subject: String
    public let issuer: String
    public let notBefore: Date
    public let notAfter: Date
    /// SHA-256 of the DER encoding, lower-case hex without colons.
    public let sha256: String

    /// Reads the first certificate of `pem`; `.invalidCredentials` when there is none or it is malformed.
    public static func parse(pem: String) throws -> CertificateFacts {
        guard let der = PEMBlocks.first("CERTIFICATE", in: pem) else {
            throw EngineError(.invalidCredentials, message: "no PEM certificate (-----BEGIN CERTIFICATE-----) found")
        }
        return try parse(der: der)
    }

    /// Reads a DER-encoded certificate.
    public static func parse(der: [UInt8]) throws -> CertificateFacts {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw EngineError(.invalidCredentials, message: "the certificate cannot be read (not an X.509 certificate)")
        }
        return CertificateFacts(certificate, der: der)
    }

    init(_ certificate: Certificate, der: [UInt8]) {
        subject = String(describing: certificate.subject)
        issuer = String(describing: certificate.issuer)
        notBefore = certificate.notValidBefore
        notAfter = certificate.notValidAfter
        sha256 = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }
}

extension TLSMaterial {
    /// Checks that the CA, the client certificate and its key can be read and belong
    /// together, and returns the facts of both certificates. `.invalidCredentials` names the part.
    public func credentialFacts() throws -> (ca: CertificateFacts, client: CertificateFacts) {
        let ca = try Self.facts(caPEM, part: "CA certificate")
        guard let clientDER = PEMBlocks.first("CERTIFICATE", in: certPEM) else {
            throw EngineError(.invalidCredentials, message: "the client certificate is not a PEM certificate")
        }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: clientDER) } catch {
            throw EngineError(.invalidCredentials, message: "the client certificate cannot be read (not an X.509 certificate)")
        }
        if keyPEM.contains("ENCRYPTED PRIVATE KEY") || keyPEM.contains("Proc-Type: 4,ENCRYPTED") {
            throw EngineError(.invalidCredentials, message: "the client key is protected by a passphrase: Jarvis needs the key without one")
        }
        let key: Certificate.PrivateKey
        do { key = try Certificate.PrivateKey(pemEncoded: keyPEM.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw EngineError(.invalidCredentials, message: "the client key cannot be read: a PEM RSA, EC, Ed25519 or PKCS#8 private key without passphrase is expected")
        }
        guard key.publicKey == certificate.publicKey else {
            throw EngineError(.invalidCredentials, message: "the client key does not belong to the client certificate")
        }
        return (ca, CertificateFacts(certificate, der: clientDER))
    }

    private static func facts(_ pem: String, part: String) throws -> CertificateFacts {
        do { return try CertificateFacts.parse(pem: pem) } catch let error as EngineError {
            throw EngineError(.invalidCredentials, message: "the \(part) cannot be read: \(error.message)")
        }
    }
}

/// The base64 bodies of PEM blocks.
enum PEMBlocks {
    static func all(_ label: String, in text: String) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var rest = Substring(text)
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        while let start = rest.range(of: begin), let stop = rest.range(of: end, range: start.upperBound..<rest.endIndex) {
            let body = rest[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
            if let data = Data(base64Encoded: String(body)) { blocks.append([UInt8](data)) }
            rest = rest[stop.upperBound...]
        }
        return blocks
    }

    static func first(_ label: String, in text: String) -> [UInt8]? { all(label, in: text).first }
}
