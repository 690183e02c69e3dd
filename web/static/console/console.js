// The agent console: live updates over server-sent events, timers, replies without reloading.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var token = csrf ? csrf.content : "";

  function minutesSeconds(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer[data-since]").forEach(function (el) {
      var end = el.dataset.until ? Date.parse(el.dataset.until) : now;
      el.textContent = minutesSeconds(end - Date.parse(el.dataset.since));
    });
    document.querySelectorAll(".sla[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      var at = el.dataset.met ? Date.parse(el.dataset.met) : now;
      if (at > due) { el.textContent = "已超时 " + minutesSeconds(at - due); el.classList.add("breached"); }
      else if (el.dataset.met) { el.textContent = "已按时响应"; }
      else { el.textContent = "剩 " + minutesSeconds(due - at); }
    });
  }

  function live(url, handlers) {
    var status = document.getElementById("live-status");
    var source = new EventSource(url);
    source.onopen = function () { if (status) { status.textContent = "实时"; status.classList.add("on"); } };
    source.onerror = function () { if (status) { status.textContent = "重新连接中…"; status.classList.remove("on"); } };
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (e) { handlers[name](JSON.parse(e.data)); });
    });
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  function queuePage(root) {
    var rows = document.getElementById("queue-rows");
    var pending = null;
    function refresh() {
      if (pending) { return; }
      pending = fetch(root.dataset.rows, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { rows.innerHTML = html; tick(); } })
        .finally(function () { pending = null; });
    }
    live(root.dataset.stream, { queue: refresh, undelivered: refresh });
  }

  var AUTHORS = { resident: "居民", bot: "智能助手", agent: "坐席", system: "系统" };

  function appendLine(list, line) {
    if (list.querySelector('[data-id="' + line.id + '"]')) { return; }
    var li = document.createElement("li");
    li.className = "line " + line.author;
    li.dataset.id = line.id;
    var who = document.createElement("span");
    who.className = "author";
    who.textContent = AUTHORS[line.author] || line.author;
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = line.text;
    li.appendChild(who);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text);
    var correct = document.getElementById("correct-template");
    if (correct && line.typed) {
      var form = correct.content.cloneNode(true);
      var action = form.querySelector("form");
      action.setAttribute("action", action.getAttribute("action").replace(/\/messages\/0\/correct$/, "/messages/" + line.id + "/correct"));
      li.appendChild(form);
    }
    list.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  // Whether a reply can reach a WeChat resident (web/console/reach.py): the window and quota line
  // above the reply box, and the replies WeChat refused, kept as call-back tasks.
  function reachPanel(id) {
    var line = document.getElementById("cs-window");
    var box = document.getElementById("undelivered");
    if (!line || !box) { return function () {}; }
    var items = document.getElementById("undelivered-list");
    function render(body) {
      if (body.window) { line.textContent = body.window.text; line.className = "cs-window " + body.window.state; }
      items.textContent = "";
      (body.callbacks || []).forEach(function (c) {
        var li = document.createElement("li");
        li.className = "undelivered-message";
        li.dataset.task = c.task_id;
        var when = document.createElement("time");
        when.textContent = c.written_at;
        var text = document.createElement("span");
        text.className = "text";
        text.textContent = c.text;
        var why = document.createElement("small");
        why.textContent = "（" + c.reason + "）";
        var done = document.createElement("button");
        done.type = "button";
        done.className = "callback-done";
        done.textContent = "已联系居民";
        done.addEventListener("click", function () {
          fetch(box.dataset.done.replace(/\/callbacks\/0\/done$/, "/callbacks/" + c.task_id + "/done"), {
            method: "POST", credentials: "same-origin",
            headers: { "Accept": "application/json", "X-CSRFToken": token }
          }).then(refresh);
        });
        var told = document.createElement("small");
        told.className = "notice-sent";
        told.textContent = c.notice || "";
        [when, document.createTextNode(" "), text, document.createTextNode(" "), why, document.createTextNode(" "), told, document.createTextNode(" "), done]
          .forEach(function (node) { li.appendChild(node); });
        items.appendChild(li);
      });
      box.hidden = !(body.callbacks || []).length;
    }
    function refresh() {
      return fetch(line.dataset.reach, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); }).then(render).catch(function () {});
    }
    return refresh;
  }

  function conversationPage(root) {
    var list = document.getElementById("transcript");
    var id = Number(root.dataset.conversation);
    var refreshReach = reachPanel(id);
    setInterval(refreshReach, 60000);  // the time left runs down, and a window closes, with nobody writing
    live(root.dataset.stream, {
      message: function (line) { appendLine(list, line); if (line.author === "resident") { refreshReach(); } },
      undelivered: function (e) { if (e.conversation_id === id) { refreshReach(); } },
      queue: function (e) {
        var status = document.getElementById("ticket-status");
        if (e.conversation_id === id && status && e.status) {
          status.textContent = { waiting: "等待接手", active: "处理中", closed: "已结束" }[e.status] || e.status;
        }
        if (e.conversation_id === id && e.oncall) {  // the on-call alert's state changed (web/oncall/delivery.py)
          var box = document.getElementById("oncall-state");
          var panel = document.getElementById("ticket-panel");
          if (!box && panel) {
            box = document.createElement("div");
            box.id = "oncall-state";
            box.setAttribute("role", "status");
            box.innerHTML = '<p>下班值班：<strong id="oncall-text"></strong></p>';
            panel.insertBefore(box, panel.children[1] || null);
          }
          if (box) {
            document.getElementById("oncall-text").textContent = e.oncall;
            box.className = "oncall " + (e.oncall_tone || "");
          }
        }
      }
    });
    var form = document.getElementById("reply-form");
    if (form) {
      var box = document.getElementById("reply-text");
      document.getElementById("canned").addEventListener("change", function (e) {
        if (e.target.value) { box.value = box.value ? box.value + "\n" + e.target.value : e.target.value; e.target.value = ""; box.focus(); }
      });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var text = box.value.trim();
        if (!text) { return; }
        var button = document.getElementById("send-reply");
        button.disabled = true;
        fetch(root.dataset.reply, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
          body: JSON.stringify({ text: text })
        }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
          .then(function (res) {
            var notice = document.getElementById("reply-notice");
            if (notice) { notice.hidden = !res.body.message || !res.ok; notice.textContent = res.ok ? (res.body.message || "") : ""; }
            if (res.ok) { box.value = ""; refreshReach(); [2000, 5000, 10000].forEach(function (ms) { setTimeout(refreshReach, ms); }); }  // again once the worker has sent it (slower on a busy machine): a message being sent is counted as spent and pending for a moment else { alert(res.body.message || "没有发出去，请再试一次"); }
          })
          .catch(function () { alert("网络不通，没有发出去，请再试一次"); })
          .finally(function () { button.disabled = false; box.focus(); });
      });
    }
    var flow = document.getElementById("flow");
    if (flow) {
      var outcome = document.getElementById("outcome");
      var showFields = function () {
        var handingBack = outcome.value === "handed_back";
        document.getElementById("handback-fields").hidden = !handingBack;
        var chosen = flow.selectedOptions[0];
        var names = chosen && chosen.dataset.entities ? chosen.dataset.entities.split(",") : [];
        document.querySelectorAll("label.entity").forEach(function (label) {
          label.hidden = names.indexOf(label.dataset.entity) < 0;
        });
      };
      flow.addEventListener("change", showFields);
      outcome.addEventListener("change", showFields);
      showFields();
    }
    var reveal = document.getElementById("reveal");
    if (reveal) {
      reveal.addEventListener("click", function () {
        fetch(root.dataset.reveal, { method: "POST", credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": token } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (data.id_number) { document.getElementById("profile-id").textContent = data.id_number; }
            if (data.phone) { document.getElementById("profile-phone").textContent = data.phone; }
            var cb = document.getElementById("callback-phone");
            if (cb && data.callback_phone) { cb.textContent = data.callback_phone; }
            reveal.disabled = true;
          });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    var q = document.getElementById("queue-page");
    if (q) { queuePage(q); }
    var c = document.getElementById("conversation-page");
    if (c) { conversationPage(c); }
  });
})();
