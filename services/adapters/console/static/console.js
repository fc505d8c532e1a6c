// The console's few interactive parts. Every value from the server goes in with
// textContent, never as HTML: persona names and scenarios come from the admin API.
"use strict";
const magdaConsole = (() => {
  const $ = (id) => document.getElementById(id);
  // where the emulator is served: "" or, behind a proxy under a path, that path ("/emu")
  const ROOT = document.body.dataset.root || "";

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  // Indents XML for reading; the bytes sent or received are not changed.
  function pretty(xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) return xml;
    const out = [];
    const walk = (node, depth) => {
      const pad = "  ".repeat(depth);
      if (node.nodeType === Node.TEXT_NODE) {
        const t = node.nodeValue.trim();
        if (t) out.push(pad + t);
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      const attrs = Array.from(node.attributes).map((a) => ` ${a.name}="${a.value}"`).join("");
      const kids = Array.from(node.childNodes).filter(
        (k) => k.nodeType === Node.ELEMENT_NODE || (k.nodeType === Node.TEXT_NODE && k.nodeValue.trim()));
      if (!kids.length) { out.push(`${pad}<${node.nodeName}${attrs}/>`); return; }
      if (kids.length === 1 && kids[0].nodeType === Node.TEXT_NODE) {
        out.push(`${pad}<${node.nodeName}${attrs}>${kids[0].nodeValue.trim()}</${node.nodeName}>`);
        return;
      }
      out.push(`${pad}<${node.nodeName}${attrs}>`);
      kids.forEach((k) => walk(k, depth + 1));
      out.push(`${pad}</${node.nodeName}>`);
    };
    walk(doc.documentElement, 0);
    return out.join("\n");
  }

  // What a reply says in one line: the advice, an Uitzondering, or a SOAP Fault.
  function summary(xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const first = (name) => {
      const found = doc.getElementsByTagName(name);
      return found.length ? found[0].textContent.trim() : null;
    };
    const fault = first("faultstring");
    if (fault !== null) return `SOAP Fault: ${fault}`;
    const uitzondering = doc.getElementsByTagName("Uitzondering");
    if (uitzondering.length) {
      const code = uitzondering[0].getElementsByTagName("Identificatie")[0];
      return `Uitzondering ${code ? code.textContent.trim() : "?"}`;
    }
    const resultaat = first("Resultaat");
    if (resultaat !== null) {
      const reden = doc.getElementsByTagName("Reden");
      const code = reden.length ? reden[0].getElementsByTagName("Code")[0] : null;
      return code ? `${resultaat} ${code.textContent.trim()}` : resultaat;
    }
    return first("INSZ") ? "KBI dossier" : "";
  }

  function shellQuote(text) {
    return "'" + text.replace(/'/g, "'\\''") + "'";
  }

  // A known Afzender picked takes its Hoedanigheid along: the two are one consumer, and a
  // Hoedanigheid left from another is refused under --protocols.
  function tryForm() {
    $("afzender").addEventListener("change", () => {
      const known = Array.from($("afzenders").options).find((o) => o.value === $("afzender").value);
      if (known) $("hoedanigheid").value = known.dataset.hoedanigheid;
    });
  }

  function tryRequest() {
    const envelope = $("envelope");
    const curl = $("curl");
    const url = curl.dataset.base + curl.dataset.endpoint;
    const showCurl = () => {
      curl.textContent = "curl -s -X POST " + shellQuote(url) +
        " -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"\"' \\\n  --data-binary " +
        shellQuote(envelope.value);
    };
    envelope.addEventListener("input", showCurl);
    showCurl();
    $("send").addEventListener("click", async () => {
      $("status").textContent = "sending…";
      $("summary").textContent = "";
      const start = performance.now();
      try {
        const response = await fetch(curl.dataset.endpoint, {
          method: "POST",
          headers: { "Content-Type": "text/xml; charset=utf-8", SOAPAction: '""' },
          body: envelope.value,
        });
        const text = await response.text();
        $("latency").textContent = `${(performance.now() - start).toFixed(1)} ms`;
        $("status").textContent = `HTTP ${response.status}`;
        $("status").dataset.status = String(response.status);
        $("reply").textContent = pretty(text);
        $("summary").textContent = summary(text);
      } catch (error) {
        $("status").textContent = `no answer: ${error}`;
      }
    });
  }

  // With an admin token the journal's data needs it, as /admin/journal does.
  function authorization() {
    const field = $("token");
    const secret = sessionStorage.getItem("magda-kbi-token") || (field ? field.value : "");
    return secret ? { Authorization: `Bearer ${secret}` } : {};
  }

  // A call's page (request and reply bodies) fetched with the token and shown here.
  async function openEntry(url) {
    const view = $("entry-view");
    try {
      const response = await fetch(url, { headers: authorization() });
      const text = await response.text();
      if (!response.ok) { view.textContent = `HTTP ${response.status}: ${text}`; return; }
      const page = new DOMParser().parseFromString(text, "text/html");
      view.replaceChildren(...Array.from(page.querySelector("main").childNodes).map((n) => document.importNode(n, true)));
    } catch (error) { view.textContent = String(error); }
  }

  function journal(entriesUrl, pageUrl) {
    token();
    const body = document.querySelector("#journal tbody");
    let last = 0;
    const params = new URLSearchParams(window.location.search);
    async function poll() {
      params.set("after", String(last));
      try {
        const response = await fetch(`${entriesUrl}?${params}`, { headers: authorization() });
        const data = await response.json();
        if (!response.ok) {
          $("journal-size").textContent = data.diagnose ? `${data.code}: ${data.diagnose}` : `HTTP ${response.status}`;
        } else {
          $("journal-size").textContent = `${data.size} of at most ${data.capacity} entries kept.`;
          for (const e of data.entries) {
            const row = document.createElement("tr");
            row.dataset.id = String(e.id);
            row.dataset.result = e.result || "";
            const link = document.createElement("a");
            link.href = `${pageUrl}/${e.id}`;
            link.textContent = String(e.id);
            link.addEventListener("click", (event) => {
              if (!Object.keys(authorization()).length) return;  // no token: just go there
              event.preventDefault();
              openEntry(link.href);
            });
            cell(row, "").appendChild(link);
            for (const v of [e.time, e.endpoint, e.operation, e.afzender, e.insz, e.result, e.status, e.latency_ms]) {
              cell(row, v);
            }
            body.insertBefore(row, body.firstChild);
            last = Math.max(last, e.id);
          }
          const empty = $("no-entries");
          if (body.querySelector("tr[data-id]")) {
            if (empty) empty.remove();
          } else if (!empty) {  // a bare header said nothing: none yet, or none of these
            const row = document.createElement("tr");
            row.id = "no-entries";
            const filtered = ["insz", "afzender", "operation"].some((k) => params.get(k));
            cell(row, filtered ? "no call matches these filters yet"
              : "none yet: calls appear here as they come in").colSpan = 9;
            body.appendChild(row);
          }
        }
      } catch (error) {
        $("journal-size").textContent = `the emulator does not answer (${error})`;
      }
      setTimeout(poll, 2000);
    }
    poll();
  }

  // -- admin pages: every read and change goes through the admin API and its guard --
  function token() {
    const field = $("token");
    field.value = sessionStorage.getItem("magda-kbi-token") || "";
    field.addEventListener("change", () => sessionStorage.setItem("magda-kbi-token", field.value));
  }

  async function admin(method, path, body) {
    const headers = { "Content-Type": "application/json", ...authorization() };
    const response = await fetch(ROOT + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(data && data.diagnose ? `${data.code}: ${data.diagnose}` : `HTTP ${response.status}`);
    return data;
  }

  function report(error) {
    $("message").textContent = error ? String(error.message || error) : "";
  }

  function faults() {
    token();
    const body = document.querySelector("#faults tbody");
    async function load() {
      try {
        const list = await admin("GET", "/admin/faults");
        body.replaceChildren();
        if (!list.length) {
          const row = document.createElement("tr");
          row.id = "no-faults";
          cell(row, "none: every call is answered as its persona says").colSpan = 9;
          body.appendChild(row);
        }
        for (const f of list) {
          const row = document.createElement("tr");
          row.dataset.kind = f.kind;
          // a latency fault without its delay in the list said nothing of what it does
          const latency = f.latency_max_ms != null ? `${f.latency_ms}–${f.latency_max_ms} ms`
            : f.latency_ms ? `${f.latency_ms} ms` : "none";
          for (const v of [f.id, f.kind, f.service || "any", f.insz || "any", f.count ?? "no limit", f.share ?? "all", latency, f.applied]) cell(row, v);
          const remove = document.createElement("button");
          remove.textContent = "remove";
          remove.addEventListener("click", async () => {
            try { await admin("DELETE", `/admin/faults/${f.id}`); report(); } catch (e) { report(e); }
            load();
          });
          cell(row, "").appendChild(remove);
          body.appendChild(row);
        }
      } catch (error) { report(error); }
    }
    $("fault-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const fault = { kind: $("fault-kind").value };
      if ($("fault-service").value) fault.service = $("fault-service").value;
      if ($("fault-insz").value) fault.insz = $("fault-insz").value;
      if ($("fault-count").value) fault.count = Number($("fault-count").value);
      if ($("fault-share").value) fault.share = Number($("fault-share").value);
      if ($("fault-latency").value) fault.latency_ms = Number($("fault-latency").value);
      if ($("fault-latency-max").value) fault.latency_max_ms = Number($("fault-latency-max").value);
      try {
        const made = await admin("POST", "/admin/faults", fault);
        $("message").textContent = `fault ${made.id} added`;
      } catch (error) { report(error); }
      load();
    });
    load();
  }

  function clock() {
    token();
    async function load() {
      try {
        const now = await admin("GET", "/admin/clock");
        $("today").textContent = now.today;
        $("fixed").textContent = now.fixed ? "(fixed)" : "(the real date)";
      } catch (error) { report(error); }
    }
    $("clock-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try { await admin("PUT", "/admin/clock", { today: $("clock-date").value }); report(); } catch (e) { report(e); }
      load();
    });
    $("clock-real").addEventListener("click", async () => {
      try { await admin("PUT", "/admin/clock", { today: null }); report(); } catch (e) { report(e); }
      load();
    });
    load();
  }

  // The timeline's <title> texts, shown under it while the pointer is on a part.
  function hover(svgId, outId) {
    const svg = $(svgId);
    const out = $(outId);
    if (!svg || !out) return;
    const initial = out.textContent;
    svg.addEventListener("mouseover", (event) => {
      let node = event.target;
      while (node && node !== svg) {
        const title = Array.from(node.children || []).find((k) => k.tagName === "title");
        if (title) { out.textContent = title.textContent; return; }
        node = node.parentNode;
      }
    });
    svg.addEventListener("mouseleave", () => { out.textContent = initial; });
  }

  return { tryForm, tryRequest, journal, faults, clock, hover, pretty, summary };
})();

// Each page's start, named by its body's data-start: the console's Content-Security-Policy
// runs scripts from its own files only, no inline one (an injected one would not run).
(() => {
  const page = document.body.dataset;
  const starts = {
    journal: () => magdaConsole.journal(page.entries, page.journal),
    try: () => {
      magdaConsole.tryForm();
      if ("send" in page) magdaConsole.tryRequest();
    },
    persona: () => magdaConsole.hover("timeline", "hover"),
    faults: () => magdaConsole.faults(),
    clock: () => magdaConsole.clock(),
  };
  if (Object.hasOwn(starts, page.start || "")) starts[page.start]();
})();
