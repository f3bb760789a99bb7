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
    INVALID_CHARACTER = "H0001", "无法识别的字符", "invalid character", "", "";
    FULL_WIDTH = "H0002", "误用全角标点", "full-width punctuation", "", "";
    UNEXPECTED_TOKEN = "H0003", "语法错误:意外的符号", "unexpected token", "", "";
    UNTERMINATED_STRING = "H0004", "字符串没有结束引号", "unterminated string", "", "";
    INVALID_NUMBER = "H0005", "数字写法有误", "invalid number", "", "";
    UNCLOSED_DELIMITER = "H0006", "括号没有闭合", "unclosed delimiter", "", "";
    DUPLICATE_DEFINITION = "H0010", "重复定义", "duplicate definition", "", "";
    UNKNOWN_NAME = "H0011", "未定义的名称", "unknown name", "", "";
    UNKNOWN_FIELD = "H0012", "记录或表没有该字段", "unknown field", "", "";
    UNKNOWN_TYPE = "H0013", "未知类型", "unknown type", "", "";
    UNKNOWN_METHOD = "H0014", "表不支持该查询方式", "unknown table lookup", "", "";
    UNKNOWN_VARIANT = "H0015", "枚举没有该取值", "unknown enum variant", "", "";
    AMBIGUOUS_VARIANT = "H0016", "枚举取值不明确", "ambiguous enum variant", "", "";
    TYPE_MISMATCH = "H0020", "类型不匹配", "type mismatch", "", "";
    UNHANDLED_OPTION = "H0021", "可能缺失的值未处理", "optional value used without handling absence", "", "";
    ARGUMENT_COUNT = "H0022", "参数个数不对", "wrong number of arguments", "", "";
    NOT_BOOL = "H0023", "条件必须是真假值", "condition is not a Bool", "", "";
    NOT_COMPARABLE = "H0024", "这两个值不能比较", "values cannot be compared", "", "";
    NON_EXHAUSTIVE = "H0025", "match 没有覆盖所有取值", "non-exhaustive match", "", "";
    RECURSION = "H0026", "函数不能递归调用", "recursive function", "", "";
    BAD_PLACEHOLDER = "H0027", "消息模板占位符有误", "invalid message placeholder", "", "";
    MISSING_CLAUSE = "H0028", "规则缺少必需的子句", "rule is missing a required clause", "", "";
    DUPLICATE_CLAUSE = "H0029", "规则子句重复", "duplicate rule clause", "", "";
    BAD_RULE_CODE = "H0030", "国家规则编码格式有误", "invalid national rule code", "", "";
    BAD_SCOPE = "H0031", "规则范围有误", "invalid rule scope", "", "";
    BAD_DATE = "H0032", "日期不存在或格式有误", "invalid date", "", "";
    NOT_CONSTANT = "H0033", "参数默认值必须是常量", "parameter default is not a constant", "", "";
    NOT_A_LIST = "H0034", "只能对列表做汇总", "aggregate over a value that is not a list", "", "";
    UNUSED_PARAM = "H0040", "参数未被使用", "unused parameter", "", "";
    UNUSED_TABLE = "H0041", "知识库表未被使用", "unused table", "", "";
    UNUSED_LET = "H0042", "变量未被使用", "unused variable", "", "";
    UNREACHABLE_RULE = "H0043", "规则永远不会触发", "rule can never fire", "", "";
    BAD_MANIFEST = "H0050", "heng.toml 有误", "invalid heng.toml", "", "";
    BAD_PARAM_OVERRIDE = "H0051", "参数覆盖值有误", "invalid parameter override", "", "";
    BAD_SCHEMA = "H0052", "记录结构缺少运行时需要的字段", "schema lacks a field the runtime needs", "", "";
    TABLE_MISSING = "H0060", "找不到知识库表文件", "table file not found", "", "";
    TABLE_MISSING_COLUMN = "H0061", "知识库表缺少列", "table column missing", "", "";
    TABLE_BAD_VALUE = "H0062", "知识库表单元格取值有误", "invalid value in table cell", "", "";
    TABLE_DUPLICATE_KEY = "H0063", "知识库表主键重复", "duplicate key in table", "", "";
    TABLE_BAD_ENUM = "H0064", "知识库表枚举取值未知", "unknown enum value in table", "", "";
    TABLE_BAD_CSV = "H0065", "知识库表 CSV 格式有误", "malformed table CSV", "", "";
    PACK_IO = "H0070", "无法读取规则包", "cannot read rule pack", "", "";
}
