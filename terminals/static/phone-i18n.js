/* Strings of the phone page (线上取号, 到号提醒), in the shared scheme of /static/hallq.js;
 * errors and common words are in /static/strings.js. */
HQ.addStrings({
  zh: {
    "phone.title": "线上取号", "phone.choose": "请选择办理事项", "phone.service": "办理事项：",
    "phone.number": "手机号码", "phone.limit": "每个手机号每日限取 {n} 个号",
    "phone.notice": "到号提醒", "phone.notice.none": "不需要提醒",
    "phone.notice.sms": "短信提醒", "phone.notice.wechat": "微信提醒",
    "phone.ahead": "前面还剩几人时提醒我", "phone.ahead.n": "{n} 人",
    "phone.privacy": "手机号仅用于今日到号提醒，加密保存，今日结束即删除；叫号时也会提醒您。",
    "phone.take": "取号", "phone.back": "‹ 重新选择事项", "phone.waiting": "等候 {n} 人",
    "phone.off": "本中心暂未开通线上取号，请到大厅取号机取号。",
    "phone.closed.closed_day": "今日不对外办公。", "phone.closed.closed_hours": "当前非办公时间，暂停线上取号。",
    "phone.closed.closing_soon": "临近下班，已停止取号。",
    "phone.bad_number": "请输入 11 位手机号码",
    "err.invalid_phone": "请输入 11 位手机号码", "err.phone_off": "本中心暂未开通线上取号",
    "err.phone_service": "该事项不支持线上取号", "err.channel_unavailable": "该提醒方式暂不可用",
    "err.notices_unavailable": "到号提醒暂不可用", "err.wechat_code": "请在微信中打开本页",
    "err.wechat_login": "微信授权已失效，请重新扫码"
  },
  en: {
    "phone.title": "Take a number", "phone.choose": "Choose what you need", "phone.service": "Service:",
    "phone.number": "Mobile number", "phone.limit": "Up to {n} numbers a day per mobile number",
    "phone.limit.one": "One number a day per mobile number",
    "phone.notice": "Tell me when it is my turn", "phone.notice.none": "No reminder",
    "phone.notice.sms": "By text message", "phone.notice.wechat": "By WeChat message",
    "phone.ahead": "Remind me when this many are ahead", "phone.ahead.n": "{n}",
    "phone.privacy": "Your number is used only for today's reminders, kept encrypted and deleted when the day ends. You are also told when you are called.",
    "phone.take": "Take a number", "phone.back": "‹ Choose another service", "phone.waiting": "{n} waiting",
    "phone.off": "This hall does not give numbers online yet: please use the kiosk in the hall.",
    "phone.closed.closed_day": "The hall is closed today.", "phone.closed.closed_hours": "Outside opening hours: no numbers online now.",
    "phone.closed.closing_soon": "Closing soon: no more numbers today.",
    "phone.bad_number": "Please enter an 11-digit mobile number",
    "err.invalid_phone": "Please enter an 11-digit mobile number", "err.phone_off": "This hall does not give numbers online",
    "err.phone_service": "This service cannot be taken online", "err.channel_unavailable": "That reminder is not available",
    "err.notices_unavailable": "Reminders are not available now", "err.wechat_code": "Please open this page in WeChat",
    "err.wechat_login": "The WeChat login has expired: scan the code again"
  }
});
