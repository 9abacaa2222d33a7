/* Strings of the booking page (预约办事), in the shared scheme of /static/hallq.js. */
HQ.addStrings({
  zh: {
    "book.title": "预约办事", "book.tab.new": "预约", "book.tab.mine": "我的预约",
    "book.choose": "请选择预约事项", "book.off": "本中心暂未开通网上预约，可直接到大厅取号办理。",
    "book.closed": "休息", "book.free": "余 {n}", "book.full": "已满", "book.extended": "预约服务",
    "book.no_slots": "当日不办公或没有可预约的时段。",
    "book.id": "身份证号码", "book.privacy": "身份证号码或手机号码至少填写一项，凭预约码和其中一项查询、取消；号码不明文保存。",
    "book.submit": "确认预约", "book.back": "‹ 重新选择时段",
    "book.booked": "预约成功", "book.code": "预约码", "book.again": "再预约一个",
    "book.how": "请在预约时段内到大厅取号机扫码或输入预约码签到取号；也可凭身份证签到。未按时签到将记为失约，失约多次将暂停预约。",
    "book.need_one": "请填写身份证号码或手机号码",
    "book.mine.who": "身份证号码或手机号码", "book.mine.go": "查询", "book.mine.none": "没有预约记录",
    "book.cancel": "取消预约", "book.cancelled": "已取消",
    "book.status.booked": "待签到", "book.status.checked_in": "已签到", "book.status.cancelled": "已取消",
    "book.status.missed": "已失约",
    "err.booking_off": "该事项不支持预约", "err.past": "该时段已过", "err.too_soon": "该时段即将开始，已停止预约",
    "err.too_far": "超出可预约的日期范围", "err.full": "该时段已约满，请选择其他时段",
    "err.suspended": "因多次失约，暂停预约；可直接到大厅取号办理",
    "err.too_many": "您的待办预约已达上限", "err.no_appointment": "未找到该预约",
    "err.appointment_closed": "该预约已签到、取消或失约", "err.code_taken": "预约码已被使用"
  },
  en: {
    "book.title": "Book a visit", "book.tab.new": "Book", "book.tab.mine": "My bookings",
    "book.choose": "Choose what to book", "book.off": "This hall does not take bookings online: just come and take a number.",
    "book.closed": "Closed", "book.free": "{n} left", "book.full": "Full", "book.extended": "Booking-only hours",
    "book.no_slots": "Closed that day, or nothing left to book.",
    "book.id": "ID card number", "book.privacy": "Give your ID number or mobile number (or both): with the booking code, either one finds or cancels the booking. Neither is stored in clear.",
    "book.submit": "Book", "book.back": "‹ Choose another time",
    "book.booked": "Booked", "book.code": "Booking code", "book.again": "Book another",
    "book.how": "Come during your time and check in at the kiosk with this code (or its QR, or your ID card). A booking not checked in counts as missed; repeated misses suspend booking.",
    "book.need_one": "Please give your ID number or mobile number",
    "book.mine.who": "ID number or mobile number", "book.mine.go": "Look up", "book.mine.none": "No bookings",
    "book.cancel": "Cancel booking", "book.cancelled": "Cancelled",
    "book.status.booked": "To check in", "book.status.checked_in": "Checked in", "book.status.cancelled": "Cancelled",
    "book.status.missed": "Missed",
    "err.booking_off": "This service cannot be booked", "err.past": "That time has passed",
    "err.too_soon": "That time starts too soon to book", "err.too_far": "That day is too far ahead",
    "err.full": "That time is fully booked: choose another", "err.suspended": "Booking is suspended after repeated missed bookings; you can still come and take a number",
    "err.too_many": "You hold the most bookings allowed", "err.no_appointment": "No such booking",
    "err.appointment_closed": "That booking is already checked in, cancelled or missed", "err.code_taken": "That code is taken"
  }
});
