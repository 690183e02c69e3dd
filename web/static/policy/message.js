// The campaign's notice on /admin/campaigns/new as the resident will see it in WeChat: one box per field of
// the chosen subscription template, checked against WeChat's rules by the server while the staff member
// types (POST /admin/campaigns/notice; the rules live in web/wechat_api/rules.py only), and the preview
// card beside it. The texts are kept as JSON in the form's hidden `template_fields`.
(function () {
  "use strict";
  var dataNode = document.getElementById("builder-data");
  if (!dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var form = document.getElementById("campaign-form");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var hidden = document.getElementById("template_fields");
  var templateInput = document.getElementById("template_id");
  var box = document.getElementById("notice-fields");
  var status = document.getElementById("notice-status");
  var benefit = document.getElementById("benefit");
  var flow = document.getElementById("apply_flow");
  var flowTouched = !!flow.value;
  var texts = {};
  var timer = null;
  var asked = 0;
  try { texts = JSON.parse(hidden.value || "{}") || {}; } catch (e) { texts = {}; }

  function template() {
    return data.templates[templateInput.value.trim()] || data.templates[data.campaign_template];
  }

  function keys() { return Object.keys(template().fields); }

  function write() {
    var out = {};
    keys().forEach(function (k) { out[k] = texts[k] || ""; });
    hidden.value = JSON.stringify(out);
  }

  function render() {
    box.textContent = "";
    var t = template();
    keys().forEach(function (k) {
      var id = "field-" + k;
      var wrap = document.createElement("div");
      wrap.className = "notice-field";
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.textContent = t.fields[k];
      var input = document.createElement("input");
      input.type = "text";
      input.id = id;
      input.value = texts[k] || "";
      input.setAttribute("aria-describedby", id + "-count " + id + "-problem");
      var count = document.createElement("p");
      count.className = "count";
      count.id = id + "-count";
      var problem = document.createElement("p");
      problem.className = "problem";
      problem.id = id + "-problem";
      input.addEventListener("input", function () { texts[k] = input.value; write(); schedule(); });
      wrap.appendChild(label);
      wrap.appendChild(input);
      wrap.appendChild(count);
      wrap.appendChild(problem);
      box.appendChild(wrap);
    });
    write();
    schedule(0);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(check, delay === undefined ? 250 : delay);
  }

  function check() {
    var mine = ++asked;
    fetch(form.getAttribute("data-notice-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ template_id: templateInput.value.trim(), fields: JSON.parse(hidden.value), benefit: benefit.value })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (mine !== asked) return;
      show(answer);
    }).catch(function () { if (mine === asked) status.textContent = "暂时检查不了通知的字数，保存时会再检查。"; });
  }

  function show(answer) {
    document.getElementById("preview-title").textContent = answer.title;
    var dl = document.getElementById("preview-rows");
    dl.textContent = "";
    var wrong = 0;
    answer.rows.forEach(function (row) {
      var dt = document.createElement("dt"); dt.textContent = row.label;
      var dd = document.createElement("dd"); dd.textContent = row.shown || "（空）";
      dl.appendChild(dt); dl.appendChild(dd);
      var input = document.getElementById("field-" + row.key);
      if (!input) return;
      document.getElementById("field-" + row.key + "-count").textContent =
        "按 " + row.length + " 个字算。" + (row.rule ? "规定：" + row.rule : "");
      document.getElementById("field-" + row.key + "-problem").textContent = row.problems.join("；");
      input.setAttribute("aria-invalid", row.problems.length ? "true" : "false");
      if (row.problems.length) wrong += 1;
    });
    status.textContent = wrong ? "有 " + wrong + " 个字段不符合微信的规定，改好才能保存。" : "通知的每个字段都符合微信的规定。";
  }

  function defaultFlow() {
    if (flowTouched) return;
    var found = data.flows.filter(function (f) { return f.benefits.indexOf(benefit.value) >= 0; })[0];
    flow.value = found ? found.key : "";
  }

  templateInput.addEventListener("change", render);
  benefit.addEventListener("change", function () { defaultFlow(); schedule(0); });
  flow.addEventListener("change", function () { flowTouched = true; });
  if (!flow.value) defaultFlow();
  render();
})();
