// The resident web chat: Rasa's REST channel for each message (with the page's signed token),
// polling the mailbox for later ones. The conversation is the server's (this browser's session
// cookie); this tab keeps what it showed, so a reload or a trip to 实名认证 comes back to it.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var fontToggle = document.getElementById("font-toggle");
  var contrastToggle = document.getElementById("contrast-toggle");
  var POLL_MS = 3000;
  var KEPT = 200; // messages this tab keeps to show again after a reload
  var sender = root.dataset.sender;
  var token = root.dataset.token;

  function load(storage, key) {
    try { return JSON.parse(storage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function store(storage, key, value) {
    try { storage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  // The last mailbox entry seen, per conversation: a reload does not show a later message twice.
  var stored = load(localStorage, "civic-chat");
  var after = stored && stored.sender === sender ? stored.after : null;
  function saveAfter() { store(localStorage, "civic-chat", { sender: sender, after: after }); }
  saveAfter();
  var shown = load(sessionStorage, "civic-chat-log:" + sender) || [];

  // 大字模式 and 高对比度: a class on <body> each, remembered in this browser.
  function toggle(button, cls, key) {
    function set(on) {
      document.body.classList.toggle(cls, on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      try { localStorage.setItem(key, on ? "1" : "0"); } catch (e) { /* private mode */ }
    }
    button.addEventListener("click", function () { set(!document.body.classList.contains(cls)); });
    var saved = null;
    try { saved = localStorage.getItem(key); } catch (e) { /* private mode */ }
    set(saved === "1");
  }
  toggle(fontToggle, "large", "civic-chat-large");
  toggle(contrastToggle, "contrast", "civic-chat-contrast");

  // 朗读: where the browser can speak, each bot message gets a button that reads it aloud in Chinese.
  var speech = window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null;
  function chineseVoice() {
    var voices = speech.getVoices() || [];
    for (var i = 0; i < voices.length; i++) { if (/^zh[-_]CN/i.test(voices[i].lang)) { return voices[i]; } }
    for (var j = 0; j < voices.length; j++) { if (/^zh/i.test(voices[j].lang)) { return voices[j]; } }
    return null;
  }
  function readAloud(text) {
    speech.cancel();
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    var voice = chineseVoice();
    if (voice) { utterance.voice = voice; }
    speech.speak(utterance);
  }
  function addReadAloud(div, text) {
    if (!speech || !text.trim()) { return; }
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "speak";
    btn.textContent = "朗读";
    btn.setAttribute("aria-label", "朗读这条回复");
    btn.addEventListener("click", function () { readAloud(text); });
    div.appendChild(btn);
  }

  function remember(kind, message) {
    shown.push({ kind: kind, message: message });
    shown = shown.slice(-KEPT);
    store(sessionStorage, "civic-chat-log:" + sender, shown);
  }

  function sameSite(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }

  // Bot text is plain text, except links written as <a href="https://...">title</a> (as WeChat shows them).
  var LINK = /<a href="(https?:\/\/[^"<>]+)">([^<]*)<\/a>/g;
  function unescape(s) { return s.replace(/&quot;/g, "\"").replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"); }
  function fill(div, text) {
    var at = 0, match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      div.appendChild(document.createTextNode(text.slice(at, match.index)));
      var a = document.createElement("a");
      a.href = unescape(match[1]);
      a.textContent = unescape(match[2]);
      if (!sameSite(a.href)) { a.target = "_blank"; a.rel = "noopener"; }
      div.appendChild(a);
      at = match.index + match[0].length;
    }
    div.appendChild(document.createTextNode(text.slice(at)));
  }

  function add(kind, text) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    if (kind === "bot") { fill(div, text); } else { div.textContent = text; }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showBot(message) {
    var div = add("bot", message.text || "");
    addReadAloud(div, div.textContent);
    if (message.image) {
      var img = document.createElement("img");
      img.src = message.image; img.alt = "图片"; img.style.maxWidth = "100%";
      div.appendChild(img);
    }
    if (message.buttons && message.buttons.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "可选的回答");
      message.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () {
          if (/^https?:\/\//.test(b.payload)) {
            if (sameSite(b.payload)) { location.href = b.payload; } else { window.open(b.payload, "_blank", "noopener"); }
            return;
          }
          send(b.payload, b.title);
        });
        group.appendChild(btn);
      });
      div.appendChild(group);
    }
  }

  function said(text) { add("me", text); remember("me", text); }
  function answered(message) { showBot(message); remember("bot", message); }

  shown.forEach(function (entry) { if (entry.kind === "bot") { showBot(entry.message); } else { add(entry.kind, entry.message); } });

  function send(payload, title) {
    said(title);
    return fetch(root.dataset.webhook, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Chat-Token": token },
      body: JSON.stringify({ sender: sender, message: payload })
    }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) { add("error", body.message || "发送没有成功，请再试一次。"); return; }
        body.forEach(answered);
      });
    }).catch(function () { add("error", "网络好像断了，请检查网络后再发一次。"); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text, text);
    input.focus();
  });

  // 交申请材料: a photo or PDF for the resident's application (POST /chat/documents, web/channels/upload.py).
  var uploader = document.getElementById("uploader");
  var photo = document.getElementById("photo");
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) { return; }
    said("[照片] " + file.name);
    var body = new FormData();
    body.append("file", file);
    photo.value = "";
    fetch(uploader.dataset.upload, { method: "POST", headers: { "X-Chat-Token": token }, body: body })
      .then(function (resp) {
        return resp.json().then(function (answer) {
          if (!resp.ok) { add("error", answer.message || "照片没有发成功，请再试一次。"); return; }
          answer.forEach(answered);
        });
      })
      .catch(function () { add("error", "网络好像断了，请检查网络后再发一次。"); });
  });

  function poll() {
    var url = root.dataset.poll + (after ? "?after=" + encodeURIComponent(after) : "");
    fetch(url, { headers: { "X-Chat-Token": token } })
      .then(function (resp) { return resp.ok ? resp.json() : { messages: [] }; })
      .then(function (body) {
        body.messages.forEach(function (m) { answered(m); after = m.id; });
        if (body.messages.length) { saveAfter(); }
      })
      .catch(function () { /* offline: try again at the next tick */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
