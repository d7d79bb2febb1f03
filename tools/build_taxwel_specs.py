"""Build the 地方税 and 福祉 specs: kikan_std/specs/{kojin_juminzei,kotei_shisanzei,kei_jidoshazei,
jido_teate,kaigo_hoken,kokumin_kenko_hoken}.json.

None of these businesses' official 基本データリスト is at hand (SPEC_FACTS "NOT available"). Every item,
type, length and obligation here is therefore our model (provenance ``modeled``), shaped on the official
基本データリスト legend (data types X/Ｎ/9/9V/YEAR/DATE, 必須/条件付き必須/任意) and on the laws the
items come from (地方税法, 児童手当法, 介護保険法, 国民健康保険法). The one exception is 介護保険: its
要介護状態区分 and 異動事由 code values come from a vendor's 中間標準レイアウト source (SPEC_FACTS §7,
third-party → code-list provenance ``derived``, and said so in the note). Business codes and データ項目ID
are modeled too: 007 / 008 / 014 are the positions of 固定資産税 / 個人住民税 / 介護保険 in the
中間標準レイアウト business list (SPEC_FACTS §7), the 9xx codes are placeholders with no source.
An official workbook replaces any of these via ``--spec-file WORKBOOK.xlsx`` (the workbook import).

Usage: python tools/build_taxwel_specs.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kikan_std.model.annotate import is_personal

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "kikan_std" / "specs"

# Item lines: name | romaji | type | length | code list | obligation (R 必須, C 条件付き必須, blank 任意) | flags
# flags: K primary key, P personal, corp 法人番号, lg 団体コード, digits 半角数字のみ
FORMATS = {"corp": "corporate_number", "lg": "local_government_code", "digits": "digits"}

MODELED_NOTE = (
    "公式の基本データリストは未入手のため、項目・型・桁数・出力条件・業務コード・データ項目IDはすべてモデル（modeled）。"
    "公式ワークブックがあれば --spec-file WORKBOOK.xlsx で置き換えられる。"
    " / The official 基本データリスト is not at hand: items, types, lengths, obligations, the business code and item ids"
    " are our model; an official workbook replaces this spec via --spec-file."
)


def _cl(cid: str, name: str, values: list[tuple[str, str]], note: str, provenance: str = "modeled") -> dict[str, Any]:
    return {"id": cid, "name": name, "provenance": provenance, "note": note,
            "values": [{"value": v, "meaning": m} for v, m in values]}


FLAG = _cl("flag", "フラグ", [("0", "該当しない"), ("1", "該当する")], "0/1 のフラグとしてモデル化")
UMU = _cl("umu", "有無", [("0", "無"), ("1", "有")], "0無/1有としてモデル化")
SEIBETSU = _cl("seibetsu", "性別", [("0", "不明（未記入）"), ("1", "男"), ("2", "女")],
               "住民記録・共通機能（031 コード1）と同じ値とした", "derived")

CONDITIONS = {
    "特別徴収義務者指定番号": "徴収区分が 1（特別徴収・給与）の場合は出力必須",
    "初度検査年月": "車種区分が三輪以上の軽自動車（21〜31）の場合は出力必須",
    "資格喪失事由": "資格喪失年月日がある場合は出力必須",
    "認定有効期間_開始年月日": "要介護状態区分が要支援・要介護（12〜25）の場合は出力必須",
    "認定有効期間_終了年月日": "要介護状態区分が要支援・要介護（12〜25）の場合は出力必須",
}

SPECS: list[dict[str, Any]] = [
    {
        "id": "kojin_juminzei",
        "business_code": "008",
        "title": "個人住民税 課税台帳（モデル）",
        "source": "地方税法（第20条の4の2 端数計算, 第310条・第321条の3〜 特別徴収）に基づくモデル。公式の基本データリストは未入手",
        "groups": [("課税台帳", "kazeidaicho", """
市区町村コード|shikuchosonkodo|X|6||R|lg
宛名番号|atenabango|X|15||R|K
賦課年度|fukanendo|YEAR|4||R|K
課税区分|kazeikubun|X|1|kazei_kubun|R|
徴収区分|choshukubun|X|1|choshu_kubun|R|
特別徴収義務者指定番号|tokubetsuchoshugimushashiteibango|X|10||C|digits
特別徴収義務者_法人番号|tokubetsuchoshugimusha_hojinbango|X|13|||corp
特別徴収義務者_名称|tokubetsuchoshugimusha_meisho|Ｎ|100|||
給与収入額|kyuyoshunyugaku|9|12|||P
給与所得額|kyuyoshotokugaku|9|12|||P
総所得金額等|soshotokukingakuto|9|12|||P
所得控除合計額|shotokukojogokeigaku|9|12|||P
課税標準額|kazeihyojungaku|9|12|||P
所得割額|shotokuwarigaku|9|10||R|P
均等割額|kintowarigaku|9|7||R|
年税額|nenzeigaku|9|10||R|P
控除対象配偶者の有無|kojotaishohaigushanoumu|9|1|umu||
扶養親族数|fuyoshinzokusu|9|2|||
年少扶養親族数|nenshofuyoshinzokusu|9|2|||
更正年月日|koseinengappi|DATE|10|||
""")],
        "code_lists": [
            _cl("kazei_kubun", "課税区分", [("1", "課税（均等割・所得割）"), ("2", "非課税"), ("3", "均等割のみ課税"),
                                            ("4", "所得割のみ課税")], "地方税法の課税の態様によるモデル値"),
            _cl("choshu_kubun", "徴収区分", [("1", "特別徴収（給与）"), ("2", "普通徴収"), ("3", "特別徴収（公的年金）")],
                "地方税法第319条以下・第321条の3・第321条の7の2 の徴収方法によるモデル値"),
            UMU,
        ],
        "notes": [
            "年税額 = 所得割額 + 均等割額（規則 TAX001）。確定金額は100円未満切捨て、課税標準額は1,000円未満切捨て"
            "（地方税法第20条の4の2、規則 TAX002）。 / 年税額 = 所得割額 + 均等割額; rounding per 地方税法 §20-4-2.",
        ],
    },
    {
        "id": "kotei_shisanzei",
        "business_code": "007",
        "title": "固定資産税 課税台帳（土地・家屋・納税義務者、モデル）",
        "source": "地方税法（第341条 定義, 第349条 課税標準, 第349条の3の2 住宅用地の特例, 第359条 賦課期日）に基づくモデル",
        "groups": [
            ("土地", "tochi", """
物件番号|bukkenbango|X|15||R|K
賦課年度|fukanendo|YEAR|4||R|K
所在|shozai|Ｎ|100||R|P
地番|chiban|Ｎ|30||R|P
登記地目|tokichimoku|X|2|chimoku|R|
現況地目|genkyochimoku|X|2|chimoku|R|
登記地積|tokichiseki|9V|10,2||R|
現況地積|genkyochiseki|9V|10,2||R|
住宅用地区分|jutakuyochikubun|X|1|jutaku_yochi||
評価額|hyokagaku|9|13||R|
課税標準額|kazeihyojungaku|9|13||R|
"""),
            ("家屋", "kaoku", """
物件番号|bukkenbango|X|15||R|K
賦課年度|fukanendo|YEAR|4||R|K
所在|shozai|Ｎ|100||R|P
家屋番号|kaokubango|Ｎ|30||R|P
種類|shurui|X|2|kaoku_shurui|R|
構造|kozo|X|2|kozo|R|
床面積|yukamenseki|9V|8,2||R|
建築年|kenchikunen|YEAR|4|||
評価額|hyokagaku|9|13||R|
課税標準額|kazeihyojungaku|9|13||R|
"""),
            ("納税義務者", "nozeigimusha", """
物件区分|bukkenkubun|X|1|bukken_kubun|R|K
物件番号|bukkenbango|X|15||R|K
賦課年度|fukanendo|YEAR|4||R|K
宛名番号|atenabango|X|15||R|K
持分_分子|mochibun_bunshi|9|9||R|
持分_分母|mochibun_bunbo|9|9||R|
代表者フラグ|daihyoshafuragu|9|1|flag||
"""),
        ],
        "code_lists": [
            _cl("chimoku", "地目", [("01", "田"), ("02", "畑"), ("03", "宅地"), ("04", "塩田"), ("05", "鉱泉地"),
                                    ("06", "池沼"), ("07", "山林"), ("08", "牧場"), ("09", "原野"), ("10", "雑種地"),
                                    ("99", "その他")],
                "地方税法第341条第2号の地目（田・畑・宅地・塩田・鉱泉地・池沼・山林・牧場・原野・その他の土地）。"
                "コード値はモデル"),
            _cl("jutaku_yochi", "住宅用地区分", [("0", "住宅用地でない"), ("1", "小規模住宅用地"), ("2", "一般住宅用地")],
                "地方税法第349条の3の2（小規模住宅用地 1/6・一般住宅用地 1/3）。コード値はモデル"),
            _cl("kaoku_shurui", "家屋の種類", [("01", "居宅"), ("02", "共同住宅"), ("03", "店舗"), ("04", "事務所"),
                                               ("05", "工場"), ("06", "倉庫"), ("99", "その他")],
                "不動産登記規則第113条の種類からの抜粋。コード値はモデル"),
            _cl("kozo", "構造", [("01", "木造"), ("02", "軽量鉄骨造"), ("03", "鉄骨造"), ("04", "鉄筋コンクリート造"),
                                 ("05", "鉄骨鉄筋コンクリート造"), ("99", "その他")], "コード値はモデル"),
            _cl("bukken_kubun", "物件区分", [("1", "土地"), ("2", "家屋")], "コード値はモデル"),
            FLAG,
        ],
        "notes": [
            "グループはファイル: 土地・家屋・納税義務者。共有物件の持分（持分_分子/持分_分母）は物件ごとに合計 1（規則 TAX009）。"
            " / One file per group; co-ownership shares of one property must add up to 1.",
        ],
    },
    {
        "id": "kei_jidoshazei",
        "business_code": "910",
        "title": "軽自動車税（種別割）車両・納税義務者（モデル）",
        "source": "地方税法第442条以下（種別割, 第463条の15 税率）に基づくモデル。業務コード 910 は出典のない仮の値",
        "groups": [
            ("車両", "sharyo", """
車両番号|sharyobango|X|15||R|K
標識番号|hyoshikibango|Ｎ|20||R|P
車種区分|shashukubun|X|2|shashu_kubun|R|
初度検査年月|shodokensanengetsu|X|7||C|
定置場|teichijo|Ｎ|100||R|P
取得年月日|shutokunengappi|DATE|10||R|
廃車年月日|haishanengappi|DATE|10|||
年税額|nenzeigaku|9|7||R|
"""),
            ("納税義務者", "nozeigimusha", """
車両番号|sharyobango|X|15||R|K
宛名番号|atenabango|X|15||R|K
所有区分|shoyukubun|X|1|shoyu_kubun|R|
"""),
        ],
        "code_lists": [
            _cl("shashu_kubun", "車種区分", [
                ("01", "原動機付自転車（50cc以下）"), ("02", "原動機付自転車（50cc超90cc以下）"),
                ("03", "原動機付自転車（90cc超125cc以下）"), ("04", "ミニカー"),
                ("11", "二輪の軽自動車（125cc超250cc以下）"), ("12", "二輪の小型自動車（250cc超）"),
                ("21", "軽四輪乗用（自家用）"), ("22", "軽四輪乗用（営業用）"), ("23", "軽四輪貨物（自家用）"),
                ("24", "軽四輪貨物（営業用）"), ("31", "軽三輪"), ("41", "小型特殊自動車（農耕作業用）"),
                ("42", "小型特殊自動車（その他）")],
                "地方税法第463条の15 の税率区分によるモデル値"),
            _cl("shoyu_kubun", "所有区分", [("1", "所有者"), ("2", "使用者（所有権留保付売買）")],
                "地方税法第443条第2項（所有権留保の場合の買主）によるモデル値"),
        ],
        "notes": [
            "初度検査年月は YYYY-MM（規則 TAX010）。三輪以上の軽自動車は必須（車検の対象）。"
            " / 初度検査年月 is YYYY-MM and required for three- and four-wheeled vehicles.",
        ],
    },
    {
        "id": "jido_teate",
        "business_code": "920",
        "title": "児童手当 受給者・対象児童（モデル）",
        "source": "児童手当法（令和6年10月改正後: 支給対象は18歳到達後最初の3月31日まで、所得制限なし、第3子以降 30,000円）"
                  "に基づくモデル。業務コード 920 は出典のない仮の値",
        "groups": [
            ("受給者", "jukyusha", """
宛名番号|atenabango|X|15||R|K
認定番号|ninteibango|X|10||R|
認定日|ninteibi|DATE|10||R|
受給者区分|jukyushakubun|X|1|jukyusha_kubun|R|
支給開始年月|shikyukaishinengetsu|X|7||R|
支給終了年月|shikyushuryonengetsu|X|7|||
"""),
            ("対象児童", "taishojido", """
受給者宛名番号|jukyushaatenabango|X|15||R|K
児童宛名番号|jidoatenabango|X|15||R|K
児童生年月日|jidoseinengappi|DATE|10||R|P
児童性別|jidoseibetsu|X|1|seibetsu||
支給区分|shikyukubun|X|1|shikyu_kubun|R|
手当月額|teategetsugaku|9|6||R|
支給開始年月|shikyukaishinengetsu|X|7||R|
"""),
        ],
        "code_lists": [
            _cl("jukyusha_kubun", "受給者区分", [("1", "一般受給者"), ("2", "施設等受給者")],
                "児童手当法第4条の区分によるモデル値"),
            _cl("shikyu_kubun", "支給区分", [("1", "3歳未満（第1子・第2子）"), ("2", "3歳以上（第1子・第2子）"),
                                             ("3", "第3子以降")],
                "児童手当法第6条（令和6年10月以降: 15,000円 / 10,000円 / 30,000円）によるモデル値"),
            SEIBETSU,
        ],
        "notes": [
            "支給区分ごとの月額（WEL003）と支給対象年齢（18歳到達後最初の3月31日まで、WEL001）を検査する。"
            " / Monthly amount per 支給区分 and the age limit are checked.",
        ],
    },
    {
        "id": "kaigo_hoken",
        "business_code": "014",
        "title": "介護保険 被保険者（モデル、要介護状態区分・異動事由は中間標準レイアウトのコード）",
        "source": "介護保険法（第9条 被保険者, 第10条・第11条 資格取得・喪失）に基づくモデル。要介護状態区分・異動事由のコード値は"
                  "中間標準レイアウト（ベンダー公開ソース huangyl2053/jekyll- ChukanHyojunLayout*.java、第三者）による",
        "groups": [("被保険者", "hihokensha", """
被保険者番号|hihokenshabango|X|10||R|K digits
宛名番号|atenabango|X|15||R|
被保険者区分|hihokenshakubun|X|1|hihokensha_kubun|R|
生年月日|seinengappi|DATE|10||R|P
性別|seibetsu|X|1|seibetsu||
資格取得年月日|shikakushutokunengappi|DATE|10||R|
資格取得事由|shikakushutokujiyu|X|3|kaigo_idojiyu|R|
資格喪失年月日|shikakusoshitsunengappi|DATE|10|||
資格喪失事由|shikakusoshitsujiyu|X|3|kaigo_idojiyu|C|
要介護状態区分|yokaigojotaikubun|X|2|yokaigo_kubun||
認定年月日|ninteinengappi|DATE|10|||
認定有効期間_開始年月日|ninteiyukokikan_kaishinengappi|DATE|10||C|
認定有効期間_終了年月日|ninteiyukokikan_shuryonengappi|DATE|10||C|
住所地特例フラグ|jushochitokureifuragu|9|1|flag||
""")],
        "code_lists": [
            _cl("hihokensha_kubun", "被保険者区分", [("1", "第1号被保険者（65歳以上）"), ("2", "第2号被保険者（40歳以上65歳未満）")],
                "介護保険法第9条によるモデル値"),
            _cl("yokaigo_kubun", "要介護状態区分", [
                ("00", "自立"), ("11", "経過的要介護"), ("12", "要支援1"), ("13", "要支援2"), ("21", "要介護1"),
                ("22", "要介護2"), ("23", "要介護3"), ("24", "要介護4"), ("25", "要介護5"), ("31", "再調査"),
                ("88", "取消"), ("99", "なし")],
                "中間標準レイアウトのコード（SPEC_FACTS §7）。出典はベンダー公開ソースで第三者（公式文書でない）", "derived"),
            _cl("kaigo_idojiyu", "異動事由（介護）", [
                ("001", "転入"), ("002", "年齢到達"), ("006", "その他取得"), ("053", "入国"), ("054", "職権取得"),
                ("055", "帰化（資格取得）"), ("059", "2号仮申請"), ("155", "住所地特例解除"), ("160", "１号被保険者変更"),
                ("202", "死亡"), ("203", "国籍喪失"), ("209", "転出"), ("253", "その他喪失"), ("254", "適用除外"),
                ("255", "職権喪失")],
                "中間標準レイアウトのコード（SPEC_FACTS §7）。出典はベンダー公開ソースで第三者（公式文書でない）。"
                "0xx=取得、1xx=変更、2xx=喪失 の区分は値の並びからの推定", "derived"),
            SEIBETSU,
            FLAG,
        ],
        "notes": [
            "要介護状態区分・異動事由のコード値は第三者（ベンダー公開ソース）による中間標準レイアウトの値（derived）。"
            " / 要介護状態区分 and 異動事由 values are from a vendor's 中間標準レイアウト source (third party).",
        ],
    },
    {
        "id": "kokumin_kenko_hoken",
        "business_code": "930",
        "title": "国民健康保険 世帯・被保険者（モデル）",
        "source": "国民健康保険法（第5条 被保険者, 第6条 適用除外: 後期高齢者医療の被保険者, 第7条・第8条 資格取得・喪失）"
                  "に基づくモデル。業務コード 930 は出典のない仮の値",
        "groups": [
            ("世帯", "setai", """
世帯番号|setaibango|X|15||R|K
世帯主宛名番号|setainushiatenabango|X|15||R|
擬制世帯主フラグ|giseisetainushifuragu|9|1|flag||
被保険者記号|hihokenshakigo|X|20||R|
世帯資格取得年月日|setaishikakushutokunengappi|DATE|10||R|
世帯資格喪失年月日|setaishikakusoshitsunengappi|DATE|10|||
"""),
            ("被保険者", "hihokensha", """
宛名番号|atenabango|X|15||R|K
世帯番号|setaibango|X|15||R|
被保険者番号|hihokenshabango|X|8||R|digits
被保険者番号_枝番|hihokenshabango_edaban|X|2||R|digits
生年月日|seinengappi|DATE|10||R|P
性別|seibetsu|X|1|seibetsu||
資格取得年月日|shikakushutokunengappi|DATE|10||R|
資格取得事由|shikakushutokujiyu|X|2|kokuho_shutoku|R|
資格喪失年月日|shikakusoshitsunengappi|DATE|10|||
資格喪失事由|shikakusoshitsujiyu|X|2|kokuho_soshitsu|C|
"""),
        ],
        "code_lists": [
            _cl("kokuho_shutoku", "資格取得事由（国保）", [("01", "転入"), ("02", "社保離脱"), ("03", "出生"),
                                                          ("04", "生活保護廃止"), ("99", "その他")],
                "国民健康保険法第7条の取得事由によるモデル値"),
            _cl("kokuho_soshitsu", "資格喪失事由（国保）", [("01", "転出"), ("02", "社保加入"), ("03", "死亡"),
                                                           ("04", "生活保護開始"), ("05", "後期高齢者医療移行"),
                                                           ("99", "その他")],
                "国民健康保険法第6条・第8条の喪失事由によるモデル値"),
            SEIBETSU,
            FLAG,
        ],
        "notes": [
            "被保険者番号_枝番は令和3年からの個人単位化による2桁（規則 WEL005 で桁数ちょうど）。75歳到達で後期高齢者医療に移るため、"
            "75歳以後の資格取得は WEL008。 / 枝番 is exactly 2 digits; acquiring at 75 or older is WEL008.",
        ],
    },
]


def _items(spec_code: str, start: int, table: str) -> tuple[list[dict[str, Any]], list[str], int]:
    items: list[dict[str, Any]] = []
    pk: list[str] = []
    n = start
    for line in table.strip().splitlines():
        name, romaji, typ, length, code, obl, flags = line.split("|")
        fl = flags.split()
        n += 1
        it: dict[str, Any] = {
            "id": f"{spec_code}{n:05d}",
            "name": name,
            "romaji": romaji,
            "type": typ,
            "length": length,
            "code_list": code or None,
            "obligation": {"R": "必須", "C": "条件付き必須", "": "任意"}[obl],
            "condition": CONDITIONS.get(name, "") if obl == "C" else "",
            "primary_key": "K" in fl,
            # The flag, or the same name rule the workbook import applies (a location is personal too).
            "personal": "P" in fl or is_personal(name),
            "description": "項目・型・桁数はモデル（公式の基本データリスト未入手）。データ項目IDもモデル",
            "provenance": "modeled",
        }
        fmt = [FORMATS[f] for f in fl if f in FORMATS]
        if fmt:
            it["format"] = fmt[0]
        if "K" in fl:
            pk.append(name)
        items.append(it)
    return items, pk, n


def build(spec: dict[str, Any]) -> dict[str, Any]:
    groups = []
    n = 0
    for gname, romaji, table in spec["groups"]:
        items, pk, n = _items(spec["business_code"], n, table)
        groups.append({"name": gname, "romaji": romaji, "items": items, "primary_key": pk})
    return {
        "id": spec["id"],
        "business_code": spec["business_code"],
        "title": spec["title"],
        "edition": "モデル第0.1版",  # our model's own version (no official edition is at hand)
        "published": "2026-07",
        "applies_from": None,  # a model: no 施行日
        "source": spec["source"],
        "provenance": "modeled",
        "groups": groups,
        "code_lists": spec["code_lists"],
        "notes": [MODELED_NOTE, *spec["notes"]],
    }


def main() -> None:
    for spec in SPECS:
        out = OUT_DIR / f"{spec['id']}.json"
        out.write_text(json.dumps(build(spec), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
