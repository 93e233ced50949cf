import Testing

@testable import ESCPOS

/// Letters a profile has no page for.
@Suite struct CharacterFallbackTests {
    func write(_ text: String, _ profile: PrinterProfile = .generic80mm) -> ESCPOSWriter {
        var w = ESCPOSWriter(profile: profile)
        w.text(text)
        return w
    }

    @Test func everyLanguagesLettersPrintOnEveryProfile() {
        let letters = "äöüßÄÖÜéèêëçàâîïôùûœÉÈÊÇÀñÑ¿¡áíóúøåæØÅÆőűŐŰ€"
        for profile in PrinterProfile.all {
            let w = write(letters, profile)
            #expect(w.replaced.isEmpty, "\(profile.name): \(w.replaced)")
            #expect(printedText(w.bytes, profile: profile) == letters, "\(profile.name)")
        }
    }

    @Test func aLetterNoPageHasPrintsInItsASCIIForm() {
        // Without CP852 there is no ő or ű; Romanian ș and Turkish ğ are on no page here at all.
        let noCP852 = PrinterProfile(name: "t", vendor: "t", columns: 32, dotsWidth: 384, codePages: [.cp437: 0, .cp858: 19])
        let w = write("Győr, Szőkű", noCP852)
        #expect(w.bytes == Array("Gyor, Szoku".utf8))
        #expect(w.replaced == ["ő", "ű"])
        let r = write("Iași Ğ ğ ș ő")
        #expect(printedText(r.bytes, profile: .generic80mm) == "Iasi G g s ő")
        #expect(r.replaced == ["ș", "Ğ", "ğ"])
        // Spaces with no glyph print as a space, unreported; what has no ASCII form is "?".
        let s = write("1\u{202F}234 漢")
        #expect(s.bytes == Array("1 234 ?".utf8))
        #expect(s.replaced == ["漢"])
    }
}
