// The resident web chat: Rasa's REST channel for each message, polling the mailbox for later ones.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var fontToggle = document.getElementById("font-toggle");
  var POLL_MS = 3000;

  var stored = null;
  try { stored = JSON.parse(localStorage.getItem("civic-chat") || "null"); } catch (e) { stored = null; }
  var session = stored && stored.sender && stored.token ? stored : { sender: root.dataset.sender, token: root.dataset.token, after: null };
  function save() { try { localStorage.setItem("civic-chat", JSON.stringify(session)); } catch (e) { /* private mode */ } }
  save();

  function setLarge(on) {
    document.body.classList.toggle("large", on);
    fontToggle.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("civic-chat-large", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  fontToggle.addEventListener("click", function () { setLarge(!document.body.classList.contains("large")); });
  setLarge(localStorage.getItem("civic-chat-large") === "1");

  function add(kind, text) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showBot(message) {
    var div = add("bot", message.text || "");
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
          if (/^https?:\/\//.test(b.payload)) { window.open(b.payload, "_blank", "noopener"); return; }
          send(b.payload, b.title);
        });
        group.appendChild(btn);
      });
      div.appendChild(group);
    }
  }

  function send(payload, shown) {
    add("me", shown);
    return fetch(root.dataset.webhook, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: session.sender, message: payload })
    }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) { add("error", body.message || "发送没有成功，请再试一次。"); return; }
        body.forEach(showBot);
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

  function poll() {
    var url = root.dataset.poll + (session.after ? "?after=" + encodeURIComponent(session.after) : "");
    fetch(url, { headers: { "X-Chat-Token": session.token } })
      .then(function (resp) { return resp.ok ? resp.json() : { messages: [] }; })
      .then(function (body) {
        body.messages.forEach(function (m) { showBot(m); session.after = m.id; });
        if (body.messages.length) { save(); }
      })
      .catch(function () { /* offline: try again at the next tick */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
