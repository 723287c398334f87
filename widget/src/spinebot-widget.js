/*
 * SpineBot website chat widget. Embed with two lines:
 *   <link rel="stylesheet" href="https://YOUR-SITE/widget/spinebot-widget.css">
 *   <script src="https://YOUR-SITE/widget/spinebot-widget.js" data-server="https://BOT-HOST:5005" defer></script>
 * Talks to Rasa's socket.io channel (the socket.io client is bundled in front of this file).
 * Everything the bot or the patient sends is rendered as text or a small escaped markdown subset
 * (bold, italics, lists, http(s) links): no HTML from a message ever reaches the page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var attr = function (name, fallback) {
    return (script && script.getAttribute(name)) || fallback;
  };
  var SERVER = attr("data-server", window.location.protocol + "//" + window.location.hostname + ":5005");
  var TITLE = attr("data-title", "SpineBot");
  var STORE_KEY = "spinebot.widget.v1";
  var TYPING_TIMEOUT_MS = 20000;
  var MAX_MESSAGE_LENGTH = 2000;
  var NO_REPLY_TEXT = "Sorry, I'm having trouble replying right now. Please try again in a moment, or phone the clinic. In an emergency, call 999.";

  // ---- persistence: the conversation survives reloads and navigation within the site ----
  // sessionStorage, not localStorage: on a shared or family computer the conversation is gone
  // once the tab is closed, instead of waiting for the next person to open the chat.
  // Whoever knows a session id receives that conversation's replies, so it must be unguessable:
  // crypto.randomUUID (HTTPS pages), else crypto.getRandomValues (every browser), else none at all
  // and the server picks one (session_confirm). Never Math.random or the clock.
  function newSessionId() {
    var c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    if (c && c.getRandomValues) {
      var bytes = c.getRandomValues(new Uint8Array(16));
      return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    }
    return null;
  }
  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* storage unavailable or corrupt: start fresh */ }
    return { sessionId: newSessionId(), messages: [], open: false };
  }
  var state = loadState();
  function saveState() {
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // ---- DOM helpers: text only, never innerHTML with message content ----
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  var INLINE = /(\*\*[^*\n]+\*\*|_[^_\n]+_|\[[^\]\n]+\]\(https?:\/\/[^\s)]+\)|https?:\/\/[^\s<>"']+)/g;
  function safeLink(href, label) {
    var a = el("a", "sbw-link", label);
    if (/^https?:\/\//i.test(href)) {
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
    }
    return a;
  }
  function renderInline(parent, text) {
    var last = 0;
    text.replace(INLINE, function (match, _group, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      if (match.indexOf("**") === 0) parent.appendChild(el("strong", null, match.slice(2, -2)));
      else if (match.charAt(0) === "_") parent.appendChild(el("em", null, match.slice(1, -1)));
      else if (match.charAt(0) === "[") {
        var split = match.indexOf("](");
        parent.appendChild(safeLink(match.slice(split + 2, -1), match.slice(1, split)));
      } else parent.appendChild(safeLink(match, match));
      last = offset + match.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function renderText(container, text) {
    var list = null;
    String(text || "").split("\n").forEach(function (line) {
      var bullet = /^\s*[-*]\s+(.*)$/.exec(line);
      var numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        var kind = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== kind) {
          list = el(kind);
          container.appendChild(list);
        }
        var item = el("li");
        renderInline(item, (bullet || numbered)[1]);
        list.appendChild(item);
        return;
      }
      list = null;
      if (!line.trim()) return;
      var p = el("p");
      renderInline(p, line);
      container.appendChild(p);
    });
  }

  // ---- the widget ----
  var root = el("div", "sbw-root");
  var launcher = el("button", "sbw-launcher", "Chat with " + TITLE);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "sbw-panel");

  var panel = el("section", "sbw-panel");
  panel.id = "sbw-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "sbw-title");
  panel.hidden = true;

  var header = el("header", "sbw-header");
  var title = el("h2", "sbw-title", TITLE + " \u2013 general information, not medical advice");
  title.id = "sbw-title";
  var restart = el("button", "sbw-header-button", "Start over");
  restart.type = "button";
  var close = el("button", "sbw-header-button", "Close");
  close.type = "button";
  close.setAttribute("aria-label", "Close chat");
  header.appendChild(title);
  header.appendChild(restart);
  header.appendChild(close);

  var notice = el("p", "sbw-notice", "Not for emergencies. In an emergency, call 999.");
  var human = el("button", "sbw-human", "Talk to a person");
  human.type = "button";
  var noticeBar = el("div", "sbw-notice-bar");
  noticeBar.appendChild(notice);
  noticeBar.appendChild(human);

  var log = el("div", "sbw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;

  var typing = el("p", "sbw-typing", TITLE + " is typing\u2026");
  typing.hidden = true;
  typing.setAttribute("aria-hidden", "true");

  var form = el("form", "sbw-form");
  var label = el("label", "sbw-visually-hidden", "Type your question");
  label.htmlFor = "sbw-input";
  var input = el("input", "sbw-input");
  input.id = "sbw-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = MAX_MESSAGE_LENGTH;
  input.placeholder = "Type your question";
  var send = el("button", "sbw-send", "Send");
  send.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);

  panel.appendChild(header);
  panel.appendChild(noticeBar);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  var typingTimer = null;
  function showTyping(on) {
    typing.hidden = !on;
    if (typingTimer) clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(function () {
        typing.hidden = true;
        renderMessage({ from: "bot", text: NO_REPLY_TEXT });
      }, TYPING_TIMEOUT_MS);
    }
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function disableButtons(group) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
  }

  function renderButtons(parent, buttons) {
    if (!buttons || !buttons.length) return;
    var group = el("div", "sbw-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    buttons.forEach(function (button) {
      var b = el("button", "sbw-button", String(button.title || button.payload || ""));
      b.type = "button";
      b.addEventListener("click", function () {
        disableButtons(group);
        sendMessage(String(button.payload || button.title || ""), String(button.title || ""));
        input.focus();  // the pressed button is now disabled: keep keyboard users in the chat
      });
      group.appendChild(b);
    });
    parent.appendChild(group);
  }

  function renderFeedback(parent, kbId, answered) {
    var box = el("div", "sbw-feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Was this helpful?");
    box.appendChild(el("span", "sbw-feedback-label", "Was this helpful?"));
    [["Yes", "feedback_positive"], ["No", "feedback_negative"]].forEach(function (choice) {
      var b = el("button", "sbw-button sbw-feedback-button", choice[0]);
      b.type = "button";
      b.setAttribute("aria-label", choice[0] + ", this answer was " + (choice[0] === "Yes" ? "" : "not ") + "helpful");
      b.disabled = !!answered;
      b.addEventListener("click", function () {
        disableButtons(box);
        markFeedbackGiven(kbId);
        sendMessage("/" + choice[1] + JSON.stringify({ kb_id: kbId }), null);
      });
      box.appendChild(b);
    });
    parent.appendChild(box);
  }

  function markFeedbackGiven(kbId) {
    state.messages.forEach(function (m) { if (m.custom && m.custom.kb_id === kbId) m.feedbackGiven = true; });
    saveState();
  }

  function renderMessage(message) {
    var bubble = el("div", "sbw-message sbw-" + message.from);
    var who = el("span", "sbw-visually-hidden", message.from === "user" ? "You said: " : TITLE + " said: ");
    bubble.appendChild(who);
    if (message.custom) {
      var custom = message.custom;
      var wantsFeedback = custom.kb_id && custom.type !== "urgent" && custom.type !== "crisis";
      if (!wantsFeedback) return;
      bubble.className = "sbw-message sbw-meta";
      renderFeedback(bubble, custom.kb_id, message.feedbackGiven);
    } else {
      var body = el("div", "sbw-text");
      if (message.from === "user") body.textContent = message.text;
      else renderText(body, message.text);
      bubble.appendChild(body);
      if (message.from === "bot") renderButtons(bubble, message.buttonsUsed ? [] : message.buttons);
    }
    log.appendChild(bubble);
    scrollDown();
  }

  function remember(message) {
    state.messages.push(message);
    saveState();
    renderMessage(message);
  }

  // ---- socket.io connection to Rasa (session persistence: the same session id after reloads) ----
  var socket = null;
  var pending = [];
  var confirmed = false;
  function connect() {
    if (socket || typeof window.io !== "function") return;
    confirmed = false;
    socket = window.io(SERVER, { path: "/socket.io", transports: ["websocket", "polling"], forceNew: true });
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      if (typeof sessionId === "string" && sessionId && sessionId !== state.sessionId) {
        state.sessionId = sessionId;  // the server's choice when ours was missing or not acceptable
        saveState();
      }
      confirmed = true;
      while (pending.length) {
        var queued = pending.shift();
        queued.session_id = state.sessionId;
        socket.emit("user_uttered", queued);
      }
    });
    socket.on("bot_uttered", function (data) {
      showTyping(false);
      if (!data || typeof data !== "object") return;
      if (data.custom) {
        remember({ from: "bot", custom: data.custom });
        return;
      }
      var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
        return { title: b.title, payload: b.payload };
      });
      if (data.text || buttons.length) remember({ from: "bot", text: String(data.text || ""), buttons: buttons });
    });
    socket.on("connect_error", function () {
      showTyping(false);
      if (!connectErrorShown) {
        connectErrorShown = true;
        renderMessage({ from: "bot", text: "Sorry, I can't connect right now. Please try again in a moment, or phone the clinic. In an emergency, call 999." });
      }
    });
  }
  var connectErrorShown = false;

  function sendMessage(payload, shownText) {
    payload = String(payload || "").slice(0, MAX_MESSAGE_LENGTH);
    if (!payload.trim()) return;
    // earlier suggestions no longer apply once the patient has said something new
    state.messages.forEach(function (m) { if (m.from === "bot" && m.buttons) m.buttonsUsed = true; });
    Array.prototype.forEach.call(log.querySelectorAll(".sbw-bot .sbw-buttons"), disableButtons);
    if (shownText) remember({ from: "user", text: shownText });
    showTyping(true);
    var message = { message: payload, session_id: state.sessionId };
    connect();
    if (socket && confirmed) socket.emit("user_uttered", message);
    else pending.push(message);
  }

  function setOpen(open) {
    state.open = open;
    saveState();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    launcher.textContent = open ? "Hide chat" : "Chat with " + TITLE;
    if (open) {
      connect();
      if (!state.messages.length) sendMessage("/greet", null);
      input.focus();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) setOpen(false);
  });
  human.addEventListener("click", function () { sendMessage("/human_handoff", "Talk to a person"); });
  restart.addEventListener("click", function () {
    state = { sessionId: newSessionId(), messages: [], open: true };
    saveState();
    while (log.firstChild) log.removeChild(log.firstChild);
    if (socket) { socket.disconnect(); socket = null; }
    confirmed = false;
    pending = [];
    sendMessage("/greet", null);
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendMessage(text, text);
  });

  function mount() {
    document.body.appendChild(root);
    state.messages.forEach(renderMessage);
    if (state.open) setOpen(true);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
