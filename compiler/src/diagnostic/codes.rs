//! The registry of diagnostic codes: each code's title and the longer explanation
//! that `heng explain-error CODE` prints. Codes are stable: never reuse a retired one.

use super::Lang;

/// One diagnostic code.
pub struct CodeInfo {
    pub code: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// Longer explanation with an example of the mistake and its fix.
    pub explain_zh: &'static str,
    pub explain_en: &'static str,
}

impl CodeInfo {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.title_zh,
            Lang::En => self.title_en,
        }
    }
    pub fn explanation(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.explain_zh,
            Lang::En => self.explain_en,
        }
    }
}

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim().to_ascii_uppercase();
    CODES.iter().find(|c| c.code == code)
}

macro_rules! codes {
    ($($name:ident = $code:literal, $zh:literal, $en:literal, $ezh:expr, $een:expr;)*) => {
        $(pub const $name: &str = $code;)*
        /// Every code, in order.
        pub static CODES: &[CodeInfo] = &[
            $(CodeInfo { code: $code, title_zh: $zh, title_en: $en, explain_zh: $ezh, explain_en: $een },)*
        ];
    };
}

codes! {
    INVALID_CHARACTER = "H0001", "无法识别的字符", "invalid character",
        r#"源文件里有语言不使用的字符,例如 `$`、`@`、`¥`,或从别的软件复制来的不可见控制字符
错误写法:
    when line.det_item_fee_sumamt > ¥500
正确写法(金额直接写数字):
    when line.det_item_fee_sumamt > 500
如果看不出是哪个字符,把这一行删掉重新输入"#,
        r#"The source contains a character the language does not use, such as `$`, `@`, `¥`,
or an invisible control character pasted from another program.
Wrong:
    when line.det_item_fee_sumamt > ¥500
Right (amounts are plain numbers):
    when line.det_item_fee_sumamt > 500
If you cannot see the character, delete the line and type it again."#;
    FULL_WIDTH = "H0002", "误用全角标点", "full-width punctuation",
        r#"代码中的标点必须是半角(英文)标点;中文输入法容易打出全角的 `，（）：“”`
错误写法:
    param discharge_max_days：Int = 7 “出院带药最多天数”
正确写法:
    param discharge_max_days: Int = 7 "出院带药最多天数"
字符串的引号之间可以随意使用全角标点;输入代码标点时请切换到英文输入法"#,
        r#"Punctuation in code must be half-width (ASCII). A Chinese input method easily types
the full-width `，（）：“”` instead of `,():"`.
Wrong:
    param discharge_max_days：Int = 7 “出院带药最多天数”
Right:
    param discharge_max_days: Int = 7 "出院带药最多天数"
Inside quotes any punctuation is fine; switch the input method to English for code."#;
    UNEXPECTED_TOKEN = "H0003", "语法错误:意外的符号", "unexpected token",
        r#"这里的词或符号不符合语法:通常是少写或多写了一个符号、关键字或括号
错误写法(缺少 `=`):
    param discharge_max_days: Int 7 "出院带药最多天数"
正确写法:
    param discharge_max_days: Int = 7 "出院带药最多天数"
对照错误信息里"期望"的内容,检查标出的位置和它前面一处"#,
        r#"The word or symbol here does not fit the grammar: usually a symbol, keyword or
bracket is missing or one too many.
Wrong (the `=` is missing):
    param discharge_max_days: Int 7 "出院带药最多天数"
Right:
    param discharge_max_days: Int = 7 "出院带药最多天数"
Compare with what the message says was expected, here and just before."#;
    UNTERMINATED_STRING = "H0004", "字符串没有结束引号", "unterminated string",
        r#"字符串以 `"` 开始,但到行尾也没有结束的 `"`
错误写法:
    message "{line.hilist_name} 限儿童使用
正确写法:
    message "{line.hilist_name} 限儿童使用"
如果已经写了结束引号,检查它是不是全角的 `”`"#,
        r#"A string starts with `"` but has no closing `"` before the end of the line.
Wrong:
    message "{line.hilist_name} 限儿童使用
Right:
    message "{line.hilist_name} 限儿童使用"
If the closing quote is there, check that it is not the full-width `”`."#;
    INVALID_NUMBER = "H0005", "数字写法有误", "invalid number",
        r#"数字的写法有误,例如有两个小数点,或数字后面紧跟着字母
错误写法:
    param deductible: Decimal = 1.500.00 "起付线"
正确写法(不写千位分隔符):
    param deductible: Decimal = 1500.00 "起付线"
百分比写作 `70%`,天数写作 `30 days`"#,
        r#"A number is malformed, e.g. it has two decimal points or letters right after it.
Wrong:
    param deductible: Decimal = 1.500.00 "起付线"
Right (no thousands separators):
    param deductible: Decimal = 1500.00 "起付线"
Percentages are written `70%`, durations `30 days`."#;
    UNCLOSED_DELIMITER = "H0006", "括号没有闭合", "unclosed delimiter",
        r#"一个 `(`、`[` 或 `{` 没有对应的 `)`、`]` 或 `}`;错误指向没有闭合的那个开括号
错误写法:
    when age(visit, line > 14
正确写法:
    when age(visit, line) > 14
规则、记录和表的 `{` 也要在末尾用 `}` 闭合"#,
        r#"An opening `(`, `[` or `{` has no matching `)`, `]` or `}`; the error points at the
bracket that is never closed.
Wrong:
    when age(visit, line > 14
Right:
    when age(visit, line) > 14
The `{` of a rule, record or table must be closed by a `}` at its end too."#;
    DUPLICATE_DEFINITION = "H0010", "重复定义", "duplicate definition",
        r#"同一个名字在规则包里定义了两次(规则、参数、表、函数、记录或枚举)
错误写法:
    param discharge_max_days: Int = 7 "出院带药最多天数"
    param discharge_max_days: Int = 14 "慢病出院带药最多天数"
正确写法(给第二个换一个名字):
    param chronic_discharge_max_days: Int = 14 "慢病出院带药最多天数"
只想改变参数的取值时,不要重新定义,请在 heng.toml 的 [params] 中覆盖"#,
        r#"The same name is defined twice in the pack (rule, parameter, table, function, record
or enum).
Wrong:
    param discharge_max_days: Int = 7 "出院带药最多天数"
    param discharge_max_days: Int = 14 "慢病出院带药最多天数"
Right (give the second one its own name):
    param chronic_discharge_max_days: Int = 14 "慢病出院带药最多天数"
To change a parameter's value, override it in heng.toml [params] instead."#;
    UNKNOWN_NAME = "H0011", "未定义的名称", "unknown name",
        r#"这个名字没有定义:可能拼错了,或忘了定义对应的参数、表、函数或变量
错误写法:
    when line.prd_days is some(days) and days > discharge_max_day
正确写法(参数名是 discharge_max_days):
    when line.prd_days is some(days) and days > discharge_max_days
名字区分大小写;中文名字也要和定义处完全一致"#,
        r#"Nothing is defined under this name: it is misspelt, or the parameter, table,
function or variable was never defined.
Wrong:
    when line.prd_days is some(days) and days > discharge_max_day
Right (the parameter is discharge_max_days):
    when line.prd_days is some(days) and days > discharge_max_days
Names are case-sensitive; Chinese names must match their definition exactly."#;
    UNKNOWN_FIELD = "H0012", "记录或表没有该字段", "unknown field",
        r#"记录(如 `FeeLine`)或表的一行没有这个字段;可用的字段以 record 或 table 的声明为准
错误写法:
    message "{line.hilst_name} 限儿童使用"
正确写法:
    message "{line.hilist_name} 限儿童使用"
帮助信息会给出最接近的字段名;完整列表见记录的声明,如 `record FeeLine`"#,
        r#"The record (such as `FeeLine`) or table row has no field of this name; the fields
are those of its `record` or `table` declaration.
Wrong:
    message "{line.hilst_name} 限儿童使用"
Right:
    message "{line.hilist_name} 限儿童使用"
The help suggests the closest field; see the declaration (`record FeeLine`) for all."#;
    UNKNOWN_TYPE = "H0013", "未知类型", "unknown type",
        r#"类型名不存在;可用 Bool、Int、Decimal、Date、DateTime、Text、Code、Prefixes 等内置类型,
以及规则包中声明的 record 和 enum;可能缺失的值在类型后加 `?`
错误写法:
    param discharge_max_days: Integer = 7 "出院带药最多天数"
正确写法:
    param discharge_max_days: Int = 7 "出院带药最多天数""#,
        r#"No type has this name. Use a built-in type (Bool, Int, Decimal, Date, DateTime,
Text, Code, Prefixes, …) or a record or enum declared in the pack; add `?` for a
value that may be absent.
Wrong:
    param discharge_max_days: Integer = 7 "出院带药最多天数"
Right:
    param discharge_max_days: Int = 7 "出院带药最多天数""#;
    UNKNOWN_METHOD = "H0014", "表不支持该查询方式", "unknown table lookup",
        r#"知识库表只支持少数几种查询:按主键精确查找,或按编码最长前缀查找(`prefix`);帮助信息会列出这张表可用的方式
错误写法:
    let limit = item_limits.find(line.med_list_codg)
正确写法:
    let limit = item_limits.prefix(line.med_list_codg)
查询结果可能不存在,使用前要用 `is some(…)` 处理"#,
        r#"A knowledge-base table offers only a few lookups: by exact key, or by the longest
matching code prefix (`prefix`); the help lists the ones this table has.
Wrong:
    let limit = item_limits.find(line.med_list_codg)
Right:
    let limit = item_limits.prefix(line.med_list_codg)
The row found may be absent: handle it with `is some(…)` before use."#;
    UNKNOWN_VARIANT = "H0015", "枚举没有该取值", "unknown enum variant",
        r#"这个枚举没有该取值;取值以 enum 的声明为准,帮助信息会列出全部取值
错误写法:
    severity medium
正确写法(Severity 的取值是 violation、high、low):
    severity high"#,
        r#"The enum has no variant of this name; its variants are those of its `enum`
declaration, and the help lists them.
Wrong:
    severity medium
Right (Severity is violation, high or low):
    severity high"#;
    AMBIGUOUS_VARIANT = "H0016", "枚举取值不明确", "ambiguous enum variant",
        r#"这个取值名同时属于几个枚举,从上下文看不出指的是哪一个
错误写法(假设另有 enum Risk { high "高风险"  low "低风险" }):
    let level = high
正确写法(在取值前写上枚举名):
    let level = Severity.high"#,
        r#"This variant name belongs to several enums and the context does not tell which.
Wrong (with another `enum Risk { high "高风险"  low "低风险" }`):
    let level = high
Right (name the enum):
    let level = Severity.high"#;
    TYPE_MISMATCH = "H0020", "类型不匹配", "type mismatch",
        r#"这里需要的类型和实际给出的类型不同;语言不做隐式转换,文本不会自动变成数字
错误写法(discharge_max_days 声明为 Int,"7" 是文本):
    param discharge_max_days: Int = "7" "出院带药最多天数"
正确写法:
    param discharge_max_days: Int = 7 "出院带药最多天数"
标签会指出期望的类型和实际的类型;函数参数和返回值也按声明检查"#,
        r#"The value has another type than the one needed here; nothing is converted
implicitly, text never turns into a number.
Wrong (discharge_max_days is declared Int, "7" is Text):
    param discharge_max_days: Int = "7" "出院带药最多天数"
Right:
    param discharge_max_days: Int = 7 "出院带药最多天数"
The labels show the expected and the actual type; arguments are checked the same way."#;
    UNHANDLED_OPTION = "H0021", "可能缺失的值未处理", "optional value used without handling absence",
        r#"类型带 `?` 的值可能缺失(如 `prd_days: Int?`),计算或比较之前必须先处理缺失的情况
错误写法:
    when line.prd_days > discharge_max_days
正确写法(只在有值时比较,或缺失时用默认值):
    when line.prd_days is some(days) and days > discharge_max_days
    when (line.prd_days otherwise 0) > discharge_max_days
要判断值是否缺失,写 `line.prd_days is none`"#,
        r#"A value whose type ends in `?` may be absent (e.g. `prd_days: Int?`); handle the
absent case before computing with it or comparing it.
Wrong:
    when line.prd_days > discharge_max_days
Right (compare only when present, or use a default):
    when line.prd_days is some(days) and days > discharge_max_days
    when (line.prd_days otherwise 0) > discharge_max_days
To test for absence, write `line.prd_days is none`."#;
    ARGUMENT_COUNT = "H0022", "参数个数不对", "wrong number of arguments",
        r#"调用函数时给出的参数个数和函数的定义不一致
错误写法(定义是 fn age(visit: Visit, line: FeeLine) -> Int):
    when age(line) > 14
正确写法:
    when age(visit, line) > 14"#,
        r#"A function is called with more or fewer arguments than its definition has.
Wrong (defined as fn age(visit: Visit, line: FeeLine) -> Int):
    when age(line) > 14
Right:
    when age(visit, line) > 14"#;
    NOT_BOOL = "H0023", "条件必须是真假值", "condition is not a Bool",
        r#"`when`、`unless`、`where` 以及 `and`、`or` 两边都需要真假值(Bool),这里给的是别的类型
错误写法(days 是数字,不是条件):
    when line.prd_days is some(days) and days
正确写法(写出完整的比较):
    when line.prd_days is some(days) and days > discharge_max_days"#,
        r#"`when`, `unless`, `where` and both sides of `and`/`or` need a Bool; this is
another type.
Wrong (days is a number, not a condition):
    when line.prd_days is some(days) and days
Right (write the whole comparison):
    when line.prd_days is some(days) and days > discharge_max_days"#;
    NOT_COMPARABLE = "H0024", "这两个值不能比较", "values cannot be compared",
        r#"这两个值的类型不能互相比较,例如年龄(Int)和日期(Date)、编码和金额
错误写法:
    when age(visit, line) > visit.brdy
正确写法(和同类的值比较):
    when age(visit, line) > 14
标签会指出两边各是什么类型"#,
        r#"Values of these two types cannot be compared, such as an age (Int) with a Date, or
a code with an amount.
Wrong:
    when age(visit, line) > visit.brdy
Right (compare like with like):
    when age(visit, line) > 14
The labels show the type of each side."#;
    NON_EXHAUSTIVE = "H0025", "match 没有覆盖所有取值", "non-exhaustive match",
        r#"match 必须对每一种可能的取值都给出结果:枚举要列出全部取值,文本、编码和数字要有 `else` 分支
错误写法:
    let weight = match line.chrgitm_lv { "01" => 3  "02" => 2 }
正确写法:
    let weight = match line.chrgitm_lv { "01" => 3  "02" => 2  else => 0 }
错误信息会列出没有覆盖的取值"#,
        r#"A match must give a result for every possible value: list every variant of an
enum, and add an `else` branch for text, codes and numbers.
Wrong:
    let weight = match line.chrgitm_lv { "01" => 3  "02" => 2 }
Right:
    let weight = match line.chrgitm_lv { "01" => 3  "02" => 2  else => 0 }
The message lists the values left uncovered."#;
    RECURSION = "H0026", "函数不能递归调用", "recursive function",
        r#"函数不能直接或间接地调用自己(A 调用 B,B 又调用 A 也不行),这样每条规则都保证能算完
错误写法:
    fn supply_days(line: FeeLine) -> Int = supply_days(line) + 1
正确写法(需要对多条明细累计时,用汇总):
    fn supply_days(visit: Visit) -> Int = sum((l.prd_days otherwise 0) for l in visit.feedetail)"#,
        r#"A function may not call itself, directly or through others (A calls B calls A),
so that every rule is sure to finish.
Wrong:
    fn supply_days(line: FeeLine) -> Int = supply_days(line) + 1
Right (to add up over lines, use an aggregate):
    fn supply_days(visit: Visit) -> Int = sum((l.prd_days otherwise 0) for l in visit.feedetail)"#;
    BAD_PLACEHOLDER = "H0027", "消息模板占位符有误", "invalid message placeholder",
        r#"消息模板中 `{…}` 里必须是规则中能用的值(字段、let 变量、is some 绑定的名字、参数或函数调用),且花括号成对
错误写法:
    message "{line.hilist_name} 限 {maxage} 岁及以下使用"
正确写法(用 `l.age_max is some(max)` 绑定的名字):
    message "{line.hilist_name} 限 {max} 岁及以下使用""#,
        r#"Inside `{…}` a message template needs a value the rule can see (a field, a `let`
variable, a name bound by `is some`, a parameter or a function call), with
matching braces.
Wrong:
    message "{line.hilist_name} 限 {maxage} 岁及以下使用"
Right (the name bound by `l.age_max is some(max)`):
    message "{line.hilist_name} 限 {max} 岁及以下使用""#;
    MISSING_CLAUSE = "H0028", "规则缺少必需的子句", "rule is missing a required clause",
        r#"规则缺少必须写的子句,例如范围(`each line`)、`severity`、`when` 或 `message`;错误信息会指出缺的是哪一个
错误写法(缺少 severity):
    rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
      each line
      when line.prd_days is some(days) and days > discharge_max_days
正确写法(补上该子句):
      severity violation"#,
        r#"The rule lacks a clause it must have, such as its scope (`each line`), `severity`,
`when` or `message`; the message says which one.
Wrong (no severity):
    rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
      each line
      when line.prd_days is some(days) and days > discharge_max_days
Right (add the clause):
      severity violation"#;
    DUPLICATE_CLAUSE = "H0029", "规则子句重复", "duplicate rule clause",
        r#"同一条规则中某个子句写了两次,例如两个 `severity` 或两个 `message`
错误写法:
    severity violation
    severity high
正确写法(只保留一个):
    severity violation
几个条件要同时成立时,用 `and` 写进同一个 `when`"#,
        r#"A clause appears twice in one rule, such as two `severity` or two `message` clauses.
Wrong:
    severity violation
    severity high
Right (keep one):
    severity violation
When several conditions must all hold, join them with `and` in one `when`."#;
    BAD_RULE_CODE = "H0030", "国家规则编码格式有误", "invalid national rule code",
        r#"`code` 后面的国家规则编码格式不对:应为 "GZ" 加 14 位数字,共 16 位
错误写法(少了一位数字):
    rule age_limit "限儿童/限年龄使用" code "GZ1000010107000" {
正确写法:
    rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
编码请从国家规则目录中复制"#,
        r#"The national rule code after `code` is malformed: it is "GZ" followed by 14 digits,
16 characters in all.
Wrong (a digit is missing):
    rule age_limit "限儿童/限年龄使用" code "GZ1000010107000" {
Right:
    rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
Copy the code from the national rule catalogue."#;
    BAD_SCOPE = "H0031", "规则范围有误", "invalid rule scope",
        r#"规则的范围说明对什么逐一检查,只能是语言规定的几种,如 `each line`(每条明细)、`each visit`(每次就诊)
错误写法:
    each fee
正确写法:
    each line
帮助信息会列出可用的范围"#,
        r#"A rule's scope says what it checks one by one; it is one of the scopes the language
defines, such as `each line` (every fee line) or `each visit` (every visit).
Wrong:
    each fee
Right:
    each line
The help lists the scopes available."#;
    BAD_DATE = "H0032", "日期不存在或格式有误", "invalid date",
        r#"日期不存在或格式不对;日期写作 年-月-日,如 "2026-01-01",月和日各两位
错误写法(2 月没有 30 日):
    param policy_start: Date = date("2026-02-30") "政策生效日期"
正确写法:
    param policy_start: Date = date("2026-03-01") "政策生效日期"
"2026/3/1" 这样的写法也不行"#,
        r#"The date does not exist or is malformed; dates are year-month-day, e.g.
"2026-01-01", with two-digit month and day.
Wrong (February has no 30th):
    param policy_start: Date = date("2026-02-30") "政策生效日期"
Right:
    param policy_start: Date = date("2026-03-01") "政策生效日期"
Forms such as "2026/3/1" are not accepted either."#;
    NOT_CONSTANT = "H0033", "参数默认值必须是常量", "parameter default is not a constant",
        r#"参数的默认值在加载规则包时就确定,只能是常量(数字、文本、日期、百分比,或常量的计算),不能用记录字段或表
错误写法:
    param discharge_max_days: Int = line.prd_days "出院带药最多天数"
正确写法:
    param discharge_max_days: Int = 7 "出院带药最多天数"
随每条记录变化的值,请写成函数(fn)或在规则里用 let"#,
        r#"A parameter's default is fixed when the pack loads, so it must be a constant
(number, text, date, percentage, or arithmetic on constants), not a record field or
a table lookup.
Wrong:
    param discharge_max_days: Int = line.prd_days "出院带药最多天数"
Right:
    param discharge_max_days: Int = 7 "出院带药最多天数"
For a value that depends on the record, write a function (fn) or a `let` in the rule."#;
    NOT_A_LIST = "H0034", "只能对列表做汇总", "aggregate over a value that is not a list",
        r#"sum、count、any、all、min、max 等汇总只能作用于列表,如 visit.feedetail、visit.diseinfo
错误写法(line 是一条明细,不是列表):
    let total = sum(l.det_item_fee_sumamt for l in line)
正确写法:
    let total = sum(l.det_item_fee_sumamt for l in visit.feedetail)"#,
        r#"Aggregates (sum, count, any, all, min, max, …) work over lists such as
visit.feedetail or visit.diseinfo.
Wrong (line is one fee line, not a list):
    let total = sum(l.det_item_fee_sumamt for l in line)
Right:
    let total = sum(l.det_item_fee_sumamt for l in visit.feedetail)"#;
    BAD_MAP_LITERAL = "H0035", "按键取值的参数写法有误", "invalid map parameter",
        r#"按键取值的参数 `param 名: 值类型 by 键类型 = {键: 值, …, else: 值}` 写法有误:
键重复(包括两个 else)、键的类型不对、else 不在最后,或键的类型不是 Int、Code、Text 或枚举
错误写法(键 2 写了两次,else 不在最后):
    param 起付线: Decimal by Int = {else: 300, 2: 500, 2: 700}
正确写法:
    param 起付线: Decimal by Int = {3: 700, 2: 500, else: 300}"#,
        r#"A keyed parameter `param NAME: V by K = {key: value, …, else: value}` is malformed:
a key repeats (two `else` included), a key has the wrong type, `else` is not last,
or the key type is not Int, Code, Text or an enum.
Wrong (key 2 twice, `else` not last):
    param deductible: Decimal by Int = {else: 300, 2: 500, 2: 700}
Right:
    param deductible: Decimal by Int = {3: 700, 2: 500, else: 300}"#;
    MAP_PARAM_USE = "H0036", "按键取值的参数用法有误", "keyed parameter used wrongly",
        r#"按键取值的参数要写 `名(键)` 来取值,键的类型要与声明的 `by 键类型` 一致;
普通参数不能带键。没有 else 的参数取值可能缺失,要用 otherwise 处理
错误写法(deductible 按医院等级取值):
    when line.pric > deductible
正确写法:
    when line.pric > deductible(tier(visit))"#,
        r#"A keyed parameter is read as `NAME(key)`, with a key of its `by` type; a plain
parameter takes no key. Without an `else`, a lookup may be absent: use `otherwise`.
Wrong (deductible is keyed by hospital tier):
    when line.pric > deductible
Right:
    when line.pric > deductible(tier(visit))"#;
    UNUSED_PARAM = "H0040", "参数未被使用", "unused parameter",
        r#"参数定义了,但没有任何规则或函数用到它;这是警告,不影响运行,但常常说明规则里写错了名字或写死了数值
示例:
    param discharge_max_days: Int = 7 "出院带药最多天数"
    when line.prd_days is some(days) and days > 7
修改(使用参数,或删除它):
    when line.prd_days is some(days) and days > discharge_max_days"#,
        r#"The parameter is defined but no rule or function uses it. This is a warning and
changes no result, but often a rule misspells the name or hard-codes the value.
Example:
    param discharge_max_days: Int = 7 "出院带药最多天数"
    when line.prd_days is some(days) and days > 7
Fix (use the parameter, or delete it):
    when line.prd_days is some(days) and days > discharge_max_days"#;
    UNUSED_TABLE = "H0041", "知识库表未被使用", "unused table",
        r#"知识库表声明了,但没有规则或函数查询它;加载规则包时仍会读取它的 CSV 文件
示例(声明了这张表,规则里却没有任何查询):
    table item_limits "限定支付范围" key code {
修改:在规则中查询这张表,例如
    let limit = item_limits.prefix(line.med_list_codg)
或者删除表的声明和 tables/item_limits.csv"#,
        r#"The table is declared but no rule or function looks anything up in it; its CSV
file is still read when the pack loads.
Example (declared, but no rule looks it up):
    table item_limits "限定支付范围" key code {
Fix: look it up in a rule, e.g.
    let limit = item_limits.prefix(line.med_list_codg)
or delete the declaration and tables/item_limits.csv."#;
    UNUSED_LET = "H0042", "变量未被使用", "unused variable",
        r#"let 定义的变量没有被用到,通常是拼写错误或遗留的代码
示例:
    let limit = item_limits.prefix(line.med_list_codg)
    when item_limits.prefix(line.med_list_codg) is some(l) and l.age_max is some(max)
修改(使用这个变量,不需要就删除这一行):
    when limit is some(l) and l.age_max is some(max)"#,
        r#"A variable defined with `let` is never used: usually a misspelling or leftover code.
Example:
    let limit = item_limits.prefix(line.med_list_codg)
    when item_limits.prefix(line.med_list_codg) is some(l) and l.age_max is some(max)
Fix (use the variable, or delete the line):
    when limit is some(l) and l.age_max is some(max)"#;
    UNREACHABLE_RULE = "H0043", "规则永远不会触发", "rule can never fire",
        r#"规则的条件不可能成立,所以它永远不会产生结果,常见原因是 `and` 和 `or` 用反了
错误写法(年龄不可能既小于 6 又大于 14):
    when age(visit, line) < 6 and age(visit, line) > 14
正确写法:
    when age(visit, line) < 6 or age(visit, line) > 14"#,
        r#"The rule's condition can never hold, so the rule never produces a finding; often
`and` was written for `or`.
Wrong (an age cannot be below 6 and above 14):
    when age(visit, line) < 6 and age(visit, line) > 14
Right:
    when age(visit, line) < 6 or age(visit, line) > 14"#;
    BAD_MANIFEST = "H0050", "heng.toml 有误", "invalid heng.toml",
        r#"规则包的 heng.toml 不是合法的 TOML,或缺少必需的项;错误信息会指出所在行
错误写法(TOML 中用 `=`,不用冒号):
    [params]
    discharge_max_days: 7
正确写法:
    [params]
    discharge_max_days = 7"#,
        r#"The pack's heng.toml is not valid TOML or lacks a required entry; the message
points at the line.
Wrong (TOML uses `=`, not a colon):
    [params]
    discharge_max_days: 7
Right:
    [params]
    discharge_max_days = 7"#;
    BAD_PARAM_OVERRIDE = "H0051", "参数覆盖值有误", "invalid parameter override",
        r#"heng.toml 的 [params] 或命令行 `--param 名字=值` 覆盖参数时,名字必须是已声明的参数,值必须符合参数的类型
错误写法(discharge_max_days 声明为 Int):
    heng run my-pack --input visits.ndjson --param discharge_max_days=7.5
正确写法:
    heng run my-pack --input visits.ndjson --param discharge_max_days=10
值的检查方式与 .heng 中 param 的默认值相同"#,
        r#"An override in heng.toml [params] or on the command line (`--param NAME=VALUE`)
must name a declared parameter and give a value of its type.
Wrong (discharge_max_days is declared Int):
    heng run my-pack --input visits.ndjson --param discharge_max_days=7.5
Right:
    heng run my-pack --input visits.ndjson --param discharge_max_days=10
Values are checked as a param's default in a .heng file is."#;
    BAD_SCHEMA = "H0052", "记录结构缺少运行时需要的字段", "schema lacks a field the runtime needs",
        r#"运行时要用到记录中的某些字段(例如明细的 feedetl_sn 和 det_item_fee_sumamt),规则包的 record 声明缺少它或类型不同
错误写法(缺少 feedetl_sn 和 det_item_fee_sumamt):
    record FeeLine "费用明细" {
      med_list_codg: Code "医保目录编码"
    }
正确写法:补上 `feedetl_sn: Text "明细流水号"` 和 `det_item_fee_sumamt: Decimal "明细金额"`
通常直接使用标准库中的记录声明即可"#,
        r#"The runtime needs some record fields (e.g. a fee line's feedetl_sn and
det_item_fee_sumamt); the pack's record declaration lacks one or gives it another type.
Wrong (feedetl_sn and det_item_fee_sumamt are missing):
    record FeeLine "费用明细" {
      med_list_codg: Code "医保目录编码"
    }
Right: add `feedetl_sn: Text "明细流水号"` and `det_item_fee_sumamt: Decimal "明细金额"`.
Usually the standard library's record declarations are the ones to use."#;
    TABLE_MISSING = "H0060", "找不到知识库表文件", "table file not found",
        r#"规则包声明了知识库表,但找不到它的数据文件 tables/<表名>.csv
示例(声明了这张表,规则包里却没有 tables/item_limits.csv):
    table item_limits "限定支付范围" key code {
修改:把 CSV 文件放进规则包的 tables/ 文件夹,文件名与表名一致(注意大小写和 .csv 后缀):
    my-pack/tables/item_limits.csv
导入标准规则包时,在自己的 tables/ 中放一个同名文件即可替换标准表"#,
        r#"The pack declares a knowledge-base table but has no data file tables/<name>.csv.
Example (declared, but tables/item_limits.csv is missing):
    table item_limits "限定支付范围" key code {
Fix: put the CSV file in the pack's tables/ folder, named exactly as the table
(mind upper and lower case and the .csv suffix):
    my-pack/tables/item_limits.csv
A pack importing the standard one replaces a standard table by a file of the same name."#;
    TABLE_MISSING_COLUMN = "H0061", "知识库表缺少列", "table column missing",
        r#"CSV 文件的表头缺少 table 声明中的某一列;列名必须与声明完全一致,顺序不限
错误写法(tables/item_limits.csv 的表头):
    code,agemax,indication
正确写法:
    code,age_max,indication
类型带 `?` 的列,单元格可以留空"#,
        r#"The CSV header lacks a column of the table declaration; names must match the
declaration exactly, in any order.
Wrong (header of tables/item_limits.csv):
    code,agemax,indication
Right:
    code,age_max,indication
Cells of a column whose type ends in `?` may be left empty."#;
    TABLE_BAD_VALUE = "H0062", "知识库表单元格取值有误", "invalid value in table cell",
        r#"CSV 单元格的值不符合该列声明的类型,例如 Int 列里写了汉字,或必填的列留空;错误信息给出行号和列名
错误写法(age_max 是 Int?):
    code,age_max,indication
    XJ01DDA040,六,J18
正确写法:
    XJ01DDA040,6,J18
值缺失时请留空,不要写 "无" 或 "-""#,
        r#"A CSV cell does not fit its column's declared type, e.g. Chinese numerals in an Int
column, or an empty cell in a required column; the message gives row and column.
Wrong (age_max is Int?):
    code,age_max,indication
    XJ01DDA040,六,J18
Right:
    XJ01DDA040,6,J18
Leave absent values empty rather than writing "无" or "-"."#;
    TABLE_DUPLICATE_KEY = "H0063", "知识库表主键重复", "duplicate key in table",
        r#"按主键(key)查找的表中,同一个主键出现在多行,无法确定用哪一行
错误写法(item_limits 的主键是 code):
    code,age_max,indication
    XJ01DDA040,6,
    XJ01DDA040,12,
正确写法(合并为一行,或删除过时的一行):
    XJ01DDA040,6,"#,
        r#"In a table looked up by key, the same key appears on several rows, so which row
applies is unclear.
Wrong (the key of item_limits is code):
    code,age_max,indication
    XJ01DDA040,6,
    XJ01DDA040,12,
Right (merge the rows, or delete the outdated one):
    XJ01DDA040,6,"#;
    TABLE_BAD_ENUM = "H0064", "知识库表枚举取值未知", "unknown enum value in table",
        r#"表中枚举类型的列只能填写该枚举声明过的取值
错误写法(假设表中有一列 grade: Severity,取值是 violation、high、low):
    code,grade
    XJ01DDA040,violaton
正确写法:
    XJ01DDA040,violation"#,
        r#"A column of enum type only takes the variants its enum declares.
Wrong (a column grade: Severity, whose variants are violation, high, low):
    code,grade
    XJ01DDA040,violaton
Right:
    XJ01DDA040,violation"#;
    TABLE_BAD_CSV = "H0065", "知识库表 CSV 格式有误", "malformed table CSV",
        r#"CSV 文件格式有误:某行的列数与表头不同、引号不成对,或文件不是 UTF-8 编码
错误写法(第 2 行多了一列):
    code,age_max,indication
    XJ01DDA040,6,J18,J20
正确写法(一个单元格中的多个前缀用分号分隔):
    XJ01DDA040,6,J18;J20
用 Excel 保存时请选择 "CSV UTF-8" 格式"#,
        r#"The CSV file is malformed: a row has more or fewer cells than the header, a quote
is not closed, or the file is not UTF-8.
Wrong (row 2 has one cell too many):
    code,age_max,indication
    XJ01DDA040,6,J18,J20
Right (several prefixes in one cell are separated by semicolons):
    XJ01DDA040,6,J18;J20
When saving from Excel, choose "CSV UTF-8"."#;
    PACK_IO = "H0070", "无法读取规则包", "cannot read rule pack",
        r#"无法读取规则包:文件夹不存在、缺少 heng.toml,或某个文件不能读取(权限、编码不是 UTF-8)
示例:
    heng check my-pack
my-pack 不存在或其中没有 heng.toml 时就会出现此错误
修改:检查路径(相对于当前目录)是否正确,文件夹中是否有 heng.toml,文件是否可读"#,
        r#"The rule pack cannot be read: the folder does not exist, has no heng.toml, or a file
cannot be read (permissions, or not UTF-8).
Example:
    heng check my-pack
fails this way when my-pack does not exist or holds no heng.toml.
Fix: check the path (relative to the current directory), that heng.toml is there,
and that the files are readable."#;
    IMPORT_CYCLE = "H0071", "规则包循环导入", "import cycle",
        r#"规则包之间的导入形成了环:A 导入 B,B 又(直接或经过别的包)导入 A,无法决定先加载哪一个
错误写法(两个包互相导入):
    # city/heng.toml
    imports = ["../base"]
    # base/heng.toml
    imports = ["../city"]
修改:删掉其中一个导入;两个包都用到的声明放进第三个包,由它们分别导入"#,
        r#"The packs' imports form a cycle: A imports B, and B imports A (directly or
through other packs), so neither can be loaded first. Wrong (each imports the other):
    # city/heng.toml
    imports = ["../base"]
    # base/heng.toml
    imports = ["../city"]
Fix: remove one of the imports; put what both need into a third pack both import."#;
    SETTLEMENT_CLAUSE = "H0080", "子句不能用在这里", "clause out of place",
        r#"output、accumulator、add、year starts 只用于结算(settlement),severity、amount、message
等只用于规则;结算里 `add … to` 只能写在 `each visit` 之后(每次就诊累加一次)
错误写法(add 写在 each line 下):
    each line
    add line.det_item_fee_sumamt to 起付线已用
正确写法:
    each visit
    add 本次起付线 to 起付线已用"#,
        r#"`output`, `accumulator`, `add` and `year starts` belong to a settlement; `severity`,
`amount`, `message` and the like to a rule. In a settlement, `add … to` belongs after
`each visit` (it adds once per visit). Wrong (`add` under `each line`):
    each line
    add line.det_item_fee_sumamt to deductible_used
Right:
    each visit
    add act_pay_dedc to deductible_used"#;
    BAD_YEAR_START = "H0081", "结算年度起始日有误", "invalid scheme-year start",
        r#"`year starts` 给出结算年度(医保年度)的第一天,写作 "月-日" 的文本,如 "01-01" 或 "09-01",
可以是字符串或 Text 参数;2 月 29 日不能作起始日
错误写法:
    year starts "9月1日"
正确写法:
    year starts "09-01""#,
        r#"`year starts` gives the first day of the scheme year as "MM-DD" text, such as
"01-01" or "09-01": a string or a Text parameter. 29 February cannot start a year.
Wrong:
    year starts "1 September"
Right:
    year starts "09-01""#;
    ONE_SETTLEMENT = "H0082", "一个规则包只能有一个结算", "more than one settlement",
        r#"一个规则包(连同它导入的包)只计算一套待遇结算;有两个 settlement 时无法决定用哪一个
修改:删掉多余的一个,或把两者的输出合并到同一个 settlement 中,如
    settlement 居民医保 "居民医保门诊结算" { … }"#,
        r#"A pack (with the packs it imports) computes one settlement; with two, there is no
telling which one applies.
Fix: remove one, or merge their outputs into one settlement, such as
    settlement resident "resident outpatient settlement" { … }"#;
    READS_TOTAL = "H0083", "不能依赖批次合计", "depends on a batch total",
        r#"批次合计(total)在第一遍对整批就诊求和,第二遍才能使用;所以合计本身和累计值(add)
不能依赖任何合计,只有 output 和 let 可以
错误写法(累计值依赖合计 总分值):
    add 病例分值 / 总分值 to 已用
正确写法:
    output 点值 = round(dip_budget / 总分值, 0.0001)"#,
        r#"A batch total (`total`) is summed over the whole batch in a first pass and
known only in the second, so a total or an accumulator's `add` cannot depend on
one; outputs and lets can. Wrong (an accumulator reading the total `scores`):
    add case_score / scores to used
Right:
    output point_value = round(dip_budget / scores, 0.0001)"#;
}
