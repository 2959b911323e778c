(()=>{function r(o){return o.reduce((t,n)=>t+n.price.amount,0)}function e(o,t){if(t==="HALF")return o/2;throw new RangeError("unknown discount code "+t)}function p(o){return function(...n){return o.apply(this,n)}}var u={payNow(o){let t=r(o.items);return e(t,o.code)}},c=p(function(t){return u.payNow(t)});window.onPay=c;})();
//# sourceMappingURL=index-3f9a2b.js.map
