"""What a consumer in another language prints for the built-in personas (the Java and the
PHP examples print the same lines): one line per person and service, asked on DATUM."""

DATUM = "2025-03-15"
NOT_AN_INSZ = "12345678901"  # fails modulo 97: refused with 40002

# A line whose answer reads otherwise came from the consumer's own stack (a reply it could
# not read, a question it did not send).
ANSWER = (
    r"[0-9]{11} (advies ZORGBUDGET [0-9-]{10}|GeefDossierKBI 02\.00): "
    r"((OK|NOK [A-Z_]+) \(peildatum [0-9-]{10}\)|dossier of .+, born [0-9-]{10}, doelgroep "
    r"[A-Z_-]+, contracts [0-9]+|Uitzondering [0-9]{5} .+|SOAP Fault MAGDA-platform: .+)"
)

EXPECTED = [
    f"98630499724 advies ZORGBUDGET {DATUM}: OK (peildatum {DATUM})",
    "98630499724 GeefDossierKBI 02.00: dossier of Saïd Daoud, born 1998-03-04, "
    "doelgroep PLICHT, contracts 1",
    f"06721400144 advies ZORGBUDGET {DATUM}: NOK GEEN_AANMELDING (peildatum {DATUM})",
    f"73680599786 advies ZORGBUDGET {DATUM}: NOK INBREUK (peildatum {DATUM})",
    f"86630100380 advies ZORGBUDGET {DATUM}: OK (peildatum {DATUM})",
    "86630100380 GeefDossierKBI 02.00: Uitzondering 30001 Geen gegevens gevonden voor de vraag",
    f"90651105718 advies ZORGBUDGET {DATUM}: Uitzondering 99996 Te veel gelijktijdige bevragingen",
    "90651105718 GeefDossierKBI 02.00: Uitzondering 99996 Te veel gelijktijdige bevragingen",
    "90651205785 GeefDossierKBI 02.00: SOAP Fault MAGDA-platform: interne fout bij het "
    "verwerken van GeefDossierKBI (testpersona 90651205785 geeft altijd een SOAP Fault)",
    f"90651205785 advies ZORGBUDGET {DATUM}: SOAP Fault MAGDA-platform: interne fout bij "
    "het verwerken van GeefAutomatischAdvies (testpersona 90651205785 geeft altijd een SOAP "
    "Fault)",
    f"{NOT_AN_INSZ} GeefDossierKBI 02.00: Uitzondering 40002 Inhoud/INSZ: {NOT_AN_INSZ} is geen "
    "geldig INSZ (controle modulo 97)",
    f"{NOT_AN_INSZ} advies ZORGBUDGET {DATUM}: Uitzondering 40002 Inhoud/Criteria/INSZ: "
    f"{NOT_AN_INSZ} is geen geldig INSZ (controle modulo 97)",
]
