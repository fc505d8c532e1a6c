<?php
// A PHP consumer of the emulator with ext/soap's SoapClient, built from the emulator's own
// WSDLs. Against MAGDA the code stays; the URL, TLS and signing are the platform's.
//
//     php client_examples/php/kbi_consumer.php BASE_URL DATUM INSZ [INSZ ...]
//     (e.g. http://localhost:8080 2024-01-01 98630499724; needs php-cli and php-soap)
//
// One line per person and service, as the Java consumer prints them; exit 0 when every
// question was answered, 1 when one got an Uitzondering or a SOAP Fault, 3 when a WSDL
// could not be read. GeefDossierKBI 01.00 is the same code with its own WSDL.

if ($argc < 4) {
    fwrite(STDERR, "usage: php kbi_consumer.php BASE_URL DATUM INSZ [INSZ ...]"
        . " (e.g. http://localhost:8080 2024-01-01 98630499724)\n");
    exit(2);
}
[$base, $datum] = [rtrim($argv[1], '/'), $argv[2]];

/** A client made once (it reads its WSDL and the XSDs it imports then), asked many questions. */
function client(string $base, string $dienst): SoapClient
{
    return new SoapClient("$base/$dienst/soap/WebService?wsdl", [
        'exceptions' => true,
        'trace' => false,
        // a list of one is still a list (Uitzondering, Contract): no object-or-array tests
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
        // PHP keeps a WSDL a day by default, across an emulator's upgrade: read it each run
        'cache_wsdl' => WSDL_CACHE_NONE,
        'connection_timeout' => 10,
    ]);
}

/** The Context every MAGDA question carries: service, version, who asks and when. */
function context(string $naam, string $versie, string $referte): array
{
    // the platform's time, whatever this machine's zone (as magda_client sends it)
    $now = new DateTimeImmutable('now', new DateTimeZone('Europe/Brussels'));
    return [
        'Naam' => $naam,
        'Versie' => $versie,
        'Bericht' => [
            'Type' => 'VRAAG',
            'Tijdstip' => ['Datum' => $now->format('Y-m-d'), 'Tijd' => $now->format('H:i:s.v')],
            // who asks: yours on the platform
            'Afzender' => [
                'Identificatie' => 'mijn.zorgkas.be',
                'Referte' => $referte,
                'Hoedanigheid' => '1234',
            ],
        ],
    ];
}

function referte(): string
{
    $bytes = random_bytes(16);
    $bytes[6] = chr(ord($bytes[6]) & 0x0f | 0x40);
    $bytes[8] = chr(ord($bytes[8]) & 0x3f | 0x80);
    return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
}

/** The first Uitzondering of type FOUT, of the Repliek or else of its Antwoord; null if none. */
function uitzondering(object $repliek): ?string
{
    $antwoord = $repliek->Antwoorden->Antwoord ?? null;
    foreach ([$repliek->Uitzonderingen ?? null, $antwoord->Uitzonderingen ?? null] as $lijst) {
        foreach ($lijst->Uitzondering ?? [] as $u) {
            if (($u->Type ?? null) === 'FOUT') {
                return "Uitzondering {$u->Identificatie} {$u->Diagnose}";
            }
        }
    }
    return null;
}

function advies(SoapClient $client, string $insz, string $datum): string
{
    $referte = referte();
    $repliek = $client->GeefAutomatischAdvies(['Verzoek' => [
        'Context' => context('GeefAutomatischAdvies', '01.00.0000', $referte),
        'Vragen' => ['Vraag' => [
            'Referte' => $referte,
            'Inhoud' => ['Criteria' => [
                'INSZ' => $insz, 'Datum' => $datum, 'Toepassing' => 'ZORGBUDGET',
            ]],
        ]],
    ]])->Repliek;
    $fout = uitzondering($repliek);
    if ($fout !== null) {
        return $fout;
    }
    $advies = $repliek->Antwoorden->Antwoord->Inhoud->Advies;
    $reden = isset($advies->Reden) ? " {$advies->Reden->Code}" : '';
    return "{$advies->Resultaat}$reden (peildatum {$advies->Peildatum})";
}

function dossier02(SoapClient $client, string $insz): string
{
    $referte = referte();
    $repliek = $client->GeefDossierKBI(['Verzoek' => [
        'Context' => context('GeefDossierKBI', '02.00.0000', $referte),
        'Vragen' => ['Vraag' => [
            'Referte' => $referte,
            'Inhoud' => ['INSZ' => $insz, 'MutatiesContext' => true],
        ]],
    ]])->Repliek;
    $fout = uitzondering($repliek);
    if ($fout !== null) {
        return $fout;
    }
    $dossier = $repliek->Antwoorden->Antwoord->Inhoud->KBIDossier;
    $naam = $dossier->Personalia->Naam;
    $voornaam = isset($naam->Voornamen) ? $naam->Voornamen->Voornaam[0]->_ . ' ' : '';
    $doelgroep = $dossier->Doelgroep->Type ?? '-';
    $contracten = count($dossier->Contracten->Contract ?? []);
    return "dossier of $voornaam" . implode(' ', $naam->Achternamen->Achternaam)
        . ", born {$dossier->Personalia->Geboortedatum}, doelgroep $doelgroep, contracts $contracten";
}

$all_answered = true;

/** One line per question: the answer, its Uitzondering or its SOAP Fault. */
function ask(string $service, callable $question): void
{
    global $all_answered;
    try {
        $line = $question();
    } catch (SoapFault $fault) {
        $line = "SOAP Fault {$fault->faultstring}";
    }
    if (!preg_match('/^(OK|NOK|dossier)/', $line)) {
        $all_answered = false;
    }
    echo "$service: $line\n";
}

try {
    $advies = client($base, 'GeefAutomatischAdviesDienst-01.00');
    $dossier = client($base, 'GeefDossierKBIDienst-02.00');
} catch (SoapFault $error) {
    fwrite(STDERR, "no WSDL at $base: {$error->getMessage()}\n");
    exit(3);
}
foreach (array_slice($argv, 3) as $insz) {
    ask("$insz advies ZORGBUDGET $datum", fn () => advies($advies, $insz, $datum));
    ask("$insz GeefDossierKBI 02.00", fn () => dossier02($dossier, $insz));
}
exit($all_answered ? 0 : 1);
